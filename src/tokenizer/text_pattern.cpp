#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/text_pattern.hpp"

#include <pcre2.h>

#include <nlohmann/json.hpp>

#include "tokenizer/regex_classes.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

struct TextPattern::Compiled {
  pcre2_code* code = nullptr;
  std::string source;  // the pattern, for messages
  ~Compiled() { pcre2_code_free(code); }
};

namespace {

// A pattern from tokenizer.json is outside input: one that backtracks catastrophically must end
// with an error, not hang. The limit is far above what the tokenizers' own patterns need on long
// texts (a few steps per character).
constexpr uint32_t kMatchLimit = 10'000'000;
constexpr uint32_t kDepthLimit = 100'000;  // backtracking memory of the interpreter, in KiB
constexpr size_t kJitStackBytes = 8u << 20;

// Per thread: a match context with the limits and a JIT stack larger than the 32 KiB default.
struct MatchResources {
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32u << 10, kJitStackBytes, nullptr);
  MatchResources() {
    pcre2_set_match_limit(context, kMatchLimit);
    pcre2_set_depth_limit(context, kDepthLimit);
    if (jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchResources() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
  }
};

}  // namespace

TextPattern TextPattern::literal(std::string text) {
  TextPattern p;
  p.literal_ = std::move(text);
  return p;
}

TextPattern TextPattern::regex(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  const std::string spelled = with_reference_classes(pattern);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(spelled.data()), spelled.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &err_offset, nullptr);
  if (!code) {
    // The message names an offset in the pattern as written, when that one fails too.
    int written_err = 0;
    PCRE2_SIZE written_offset = 0;
    if (pcre2_code* as_written = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                               PCRE2_UTF | PCRE2_UCP, &written_err, &written_offset, nullptr)) {
      pcre2_code_free(as_written);
    } else {
      err = written_err;
      err_offset = written_offset;
    }
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    fail("regular expression '" + pattern + "' does not compile at offset " +
         std::to_string(err_offset) + ": " + reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  auto compiled = std::make_shared<Compiled>();
  compiled->code = code;
  compiled->source = pattern;
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
  thread_local MatchResources resources;
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> match_data(
      pcre2_match_data_create_from_pattern(regex_->code, nullptr), pcre2_match_data_free);
  pcre2_match_data* md = match_data.get();
  size_t start = 0;
  while (start <= s.size()) {
    const int rc = pcre2_match(regex_->code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start,
                               PCRE2_NO_UTF_CHECK, md, resources.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      fail("regular expression '" + regex_->source + "' gave up on a text of " + std::to_string(s.size()) +
           " bytes: " + reinterpret_cast<const char*>(msg) + " (catastrophic backtracking?)");
    }
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
