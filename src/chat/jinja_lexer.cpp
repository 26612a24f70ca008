#include "chat/jinja_lexer.hpp"

#include <cctype>
#include <charconv>

#include "chat/jinja_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::jinja {
namespace {

[[noreturn]] void lex_error(int line, const std::string& what) {
  fail("chat template: line " + std::to_string(line) + ": " + what);
}

// jinja2 turns \r\n and \r into \n and drops one trailing newline before lexing.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The length of `text` without its trailing Python whitespace.
size_t rstrip_length(const std::string& text) {
  std::u32string cps = utf8_to_code_points(text);
  size_t keep = cps.size();
  while (keep > 0 && is_python_space(cps[keep - 1])) --keep;
  return code_points_to_utf8(std::u32string_view(cps).substr(0, keep)).size();
}

// How many bytes of Python whitespace start `text` at `pos`.
size_t leading_space_bytes(std::string_view text, size_t pos) {
  size_t p = pos;
  while (p < text.size()) {
    size_t len = 0;
    char32_t c = decode_one_code_point(text, p, len);
    if (!is_python_space(c)) break;
    p += len;
  }
  return p - pos;
}

class TagLexer {
 public:
  TagLexer(std::string_view src, size_t& pos, int& line, std::vector<Token>& out)
      : src_(src), pos_(pos), line_(line), out_(out) {}

  // Reads tokens up to the tag's end ("}}" or "%}"); returns the strip sign before it ('-', '+' or 0).
  char run(std::string_view end, Token::Type end_type) {
    while (true) {
      skip_space();
      if (pos_ >= src_.size()) lex_error(line_, "unterminated tag, expected '" + std::string(end) + "'");
      for (char sign : {'-', '+'}) {
        if (src_[pos_] == sign && src_.substr(pos_ + 1, end.size()) == end) {
          pos_ += 1 + end.size();
          out_.push_back({end_type, std::string(end), 0, 0, line_});
          return sign;
        }
      }
      if (src_.substr(pos_, end.size()) == end) {
        pos_ += end.size();
        out_.push_back({end_type, std::string(end), 0, 0, line_});
        return 0;
      }
      next_token();
    }
  }

 private:
  void skip_space() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) {
      if (src_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }

  void next_token() {
    char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
      out_.push_back({Token::Type::name, std::string(src_.substr(start, pos_ - start)), 0, 0, line_});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      number();
    } else if (c == '\'' || c == '"') {
      string_literal(c);
    } else {
      static constexpr std::string_view kOperators[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%",
                                                        "~",  "<",  ">",  "(",  ")",  "[", "]", "{", "}", ",", ".",
                                                        ":",  "|",  "="};
      for (std::string_view op : kOperators) {
        if (src_.substr(pos_, op.size()) == op) {
          pos_ += op.size();
          out_.push_back({Token::Type::op, std::string(op), 0, 0, line_});
          return;
        }
      }
      lex_error(line_, "unexpected character '" + std::string(1, c) + "'");
    }
  }

  void number() {
    size_t start = pos_;
    bool is_float = false;
    auto digits = [&] {
      while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
    };
    digits();
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t save = pos_++;
      if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) ++pos_;
      if (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) {
        is_float = true;
        digits();
      } else {
        pos_ = save;
      }
    }
    std::string text;
    for (char ch : src_.substr(start, pos_ - start))
      if (ch != '_') text += ch;
    Token t{is_float ? Token::Type::floating : Token::Type::integer, text, 0, 0, line_};
    if (is_float) t.floating = std::stod(text);
    else if (std::from_chars(text.data(), text.data() + text.size(), t.integer).ec != std::errc())
      lex_error(line_, "integer literal out of range: " + text);
    out_.push_back(std::move(t));
  }

  // Python string-literal escapes, as jinja2 unescapes them.
  void string_literal(char quote) {
    int start_line = line_;
    ++pos_;
    std::string value;
    while (true) {
      if (pos_ >= src_.size()) lex_error(start_line, "unterminated string literal");
      char c = src_[pos_++];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= src_.size()) lex_error(start_line, "unterminated string literal");
      char e = src_[pos_++];
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case '0': value += '\0'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'v': value += '\v'; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case '\n': ++line_; break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          if (pos_ + n > src_.size() ||
              std::from_chars(src_.data() + pos_, src_.data() + pos_ + n, cp, 16).ptr != src_.data() + pos_ + n)
            lex_error(line_, std::string("bad \\") + e + " escape in a string literal");
          pos_ += n;
          value += code_points_to_utf8(std::u32string(1, static_cast<char32_t>(cp)));
          break;
        }
        default:
          value += '\\';
          value += e;
      }
    }
    out_.push_back({Token::Type::string, value, 0, 0, line_});
  }

  std::string_view src_;
  size_t& pos_;
  int& line_;
  std::vector<Token>& out_;
};

}  // namespace

std::vector<Token> lex_template(std::string_view raw_source) {
  const std::string source = normalize_newlines(raw_source);
  std::vector<Token> out;
  size_t pos = 0;
  int line = 1;
  // Whether the previous tag's end (with what it swallowed) ended a line: lstrip_blocks then
  // strips the indentation before a tag even when the text holds no newline of its own.
  bool line_starting = true;
  auto count_lines = [](std::string_view s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
  };
  while (pos < source.size()) {
    size_t open = source.find('{', pos);
    while (open != std::string::npos && open + 1 < source.size() && source[open + 1] != '{' &&
           source[open + 1] != '%' && source[open + 1] != '#')
      open = source.find('{', open + 1);
    if (open == std::string::npos || open + 1 >= source.size()) {
      out.push_back({Token::Type::text, source.substr(pos), 0, 0, line});
      break;
    }
    std::string text = source.substr(pos, open - pos);
    const char kind = source[open + 1];
    const char sign = open + 2 < source.size() ? source[open + 2] : 0;
    if (sign == '-') {
      text.resize(rstrip_length(text));
    } else if (sign != '+' && kind != '{') {
      size_t line_start = text.rfind('\n');
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      if ((line_start > 0 || line_starting) && leading_space_bytes(text, line_start) == text.size() - line_start)
        text.resize(line_start);
    }
    if (!text.empty()) out.push_back({Token::Type::text, text, 0, 0, line});
    line += count_lines(source.substr(pos, open - pos));
    pos = open + 2 + ((sign == '-' || sign == '+') ? 1 : 0);

    char end_sign = 0;
    if (kind == '#') {
      size_t close = source.find("#}", pos);
      if (close == std::string::npos) lex_error(line, "unterminated comment");
      end_sign = close > pos && source[close - 1] == '-' ? '-' : close > pos && source[close - 1] == '+' ? '+' : 0;
      line += count_lines(source.substr(pos, close - pos));
      pos = close + 2;
    } else {
      TagLexer lexer(source, pos, line, out);
      out.push_back({kind == '{' ? Token::Type::var_begin : Token::Type::block_begin, "", 0, 0, line});
      end_sign = lexer.run(kind == '{' ? "}}" : "%}", kind == '{' ? Token::Type::var_end : Token::Type::block_end);
    }
    size_t tail_start = pos;
    if (end_sign == '-') {
      pos += leading_space_bytes(source, pos);
    } else if (kind != '{' && end_sign != '+' && pos < source.size() && source[pos] == '\n') {
      ++pos;  // trim_blocks
    }
    line += count_lines(std::string_view(source).substr(tail_start, pos - tail_start));
    std::string_view ending = std::string_view(source).substr(open, pos - open);
    line_starting = !ending.empty() && ending.back() == '\n';
  }
  out.push_back({Token::Type::eof, "", 0, 0, line});
  return out;
}

}  // namespace tokprob::jinja
