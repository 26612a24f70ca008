// The patterns tokenizer.json uses in Split, Replace and the decoders: either a literal string
// ({"String": ...}) or a regular expression ({"Regex": ...}, Oniguruma syntax in `tokenizers`,
// run here with PCRE2 in UTF + UCP mode, with the reference's character classes: regex_classes.hpp).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokprob::tok {

class TextPattern {
 public:
  static TextPattern literal(std::string text);
  static TextPattern regex(const std::string& pattern);  // throws tokprob::Error when it does not compile
  // {"String": "..."} or {"Regex": "..."}; `where` names the file for error messages.
  static TextPattern from_json(const nlohmann::json& j, const std::string& where);

  // Non-overlapping matches, left to right, as byte ranges of valid UTF-8 `s`.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view s) const;
  std::string replace_all(std::string_view s, std::string_view with) const;

 private:
  struct Compiled;
  std::string literal_;
  std::shared_ptr<const Compiled> regex_;
};

}  // namespace tokprob::tok
