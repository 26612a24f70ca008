#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/text_pattern.hpp"

#include <pcre2.h>

#include <nlohmann/json.hpp>

#include "tokprob/error.hpp"

namespace tokprob::tok {

struct TextPattern::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

TextPattern TextPattern::literal(std::string text) {
  TextPattern p;
  p.literal_ = std::move(text);
  return p;
}

TextPattern TextPattern::regex(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &err_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    fail("regular expression '" + pattern + "' does not compile at offset " +
         std::to_string(err_offset) + ": " + reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  auto compiled = std::make_shared<Compiled>();
  compiled->code = code;
  TextPattern p;
  p.regex_ = std::move(compiled);
  return p;
}

TextPattern TextPattern::from_json(const nlohmann::json& j, const std::string& where) {
  if (j.is_object() && j.contains("String") && j["String"].is_string())
    return literal(j["String"].get<std::string>());
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    try {
      return regex(j["Regex"].get<std::string>());
    } catch (const Error& e) {
      fail(where + ": " + e.what());
    }
  }
  if (j.is_string()) return literal(j.get<std::string>());
  fail(where + ": a pattern must be {\"String\": ...} or {\"Regex\": ...}");
}

std::vector<std::pair<size_t, size_t>> TextPattern::find_all(std::string_view s) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (!regex_) {
    if (literal_.empty()) return out;
    for (size_t at = s.find(literal_); at != std::string_view::npos; at = s.find(literal_, at + literal_.size()))
      out.emplace_back(at, at + literal_.size());
    return out;
  }
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(regex_->code, nullptr);
  size_t start = 0;
  while (start <= s.size()) {
    const int rc = pcre2_match(regex_->code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start,
                               PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    out.emplace_back(ov[0], ov[1]);
    if (ov[1] > ov[0]) {
      start = ov[1];
    } else {
      // An empty match: step over one code point so the search moves on.
      start = ov[1] + 1;
      while (start < s.size() && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) ++start;
    }
  }
  pcre2_match_data_free(md);
  return out;
}

std::string TextPattern::replace_all(std::string_view s, std::string_view with) const {
  std::string out;
  size_t prev = 0;
  for (auto [b, e] : find_all(s)) {
    out.append(s.substr(prev, b - prev));
    out.append(with);
    prev = e;
  }
  out.append(s.substr(prev));
  return out;
}

}  // namespace tokprob::tok
