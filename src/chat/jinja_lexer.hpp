// Splits a Jinja template into text and the tokens of its tags, with jinja2's whitespace rules as
// transformers configures them (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokprob::jinja {

struct Token {
  enum class Type { text, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };
  Type type;
  std::string text;  // the text, a name, a string literal's value or an operator
  int64_t integer = 0;
  double floating = 0;
  int line = 1;
};

// Throws tokprob::Error ("chat template: line N: ...") on an unterminated tag or string, or a
// character no expression may hold.
std::vector<Token> lex_template(std::string_view source);

}  // namespace tokprob::jinja
