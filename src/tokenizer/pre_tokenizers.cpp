#include "tokenizer/pre_tokenizers.hpp"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "tokenizer/bert_unicode8.hpp"
#include "tokenizer/byte_level_alphabet.hpp"
#include "tokenizer/text_pattern.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Byte ranges of a pattern's matches in `s` as code point ranges.
std::vector<std::pair<size_t, size_t>> char_matches(const TextPattern& pattern, const NormalizedString& s) {
  const std::string utf8 = s.utf8();
  const auto bytes = pattern.find_all(utf8);
  std::vector<std::pair<size_t, size_t>> out;
  out.reserve(bytes.size());
  size_t byte = 0, chars = 0;
  auto advance_to = [&](size_t target) {
    while (byte < target) {
      ++byte;
      while (byte < utf8.size() && (static_cast<unsigned char>(utf8[byte]) & 0xC0) == 0x80) ++byte;
      ++chars;
    }
    return chars;
  };
  for (auto [b, e] : bytes) {
    const size_t cb = advance_to(b);
    const size_t ce = advance_to(e);
    out.emplace_back(cb, ce);
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> predicate_matches(const NormalizedString& s, const std::function<bool(char32_t)>& pred) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < s.text.size(); ++i)
    if (pred(s.text[i])) out.emplace_back(i, i + 1);
  return out;
}

SplitBehavior parse_behavior(const json& j, const std::string& where) {
  const std::string b = j.is_string() ? j.get<std::string>() : "Isolated";
  if (b == "Removed") return SplitBehavior::removed;
  if (b == "Isolated") return SplitBehavior::isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (b == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (b == "Contiguous") return SplitBehavior::contiguous;
  fail(where + ": unknown split behavior \"" + b + "\"");
}

template <typename F>
void split_each(std::vector<NormalizedString>& pieces, F&& f) {
  std::vector<NormalizedString> out;
  out.reserve(pieces.size());
  for (auto& p : pieces)
    for (auto& q : f(p)) out.push_back(std::move(q));
  pieces = std::move(out);
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    for (const auto& p : parts_)
      if (p) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex), pattern_(TextPattern::regex(kGpt2Pattern)) {}
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    split_each(pieces, [&](NormalizedString& s) {
      if (add_prefix_space_ && (s.text.empty() || s.text.front() != U' ')) s.prepend(U" ");
      if (!use_regex_) return std::vector<NormalizedString>{s};
      return split_at(s, char_matches(pattern_, s), SplitBehavior::isolated);
    });
    const auto& table = byte_to_char();
    for (auto& s : pieces) {
      std::u32string out;
      std::vector<ptrdiff_t> source;
      std::string bytes;
      for (size_t i = 0; i < s.text.size(); ++i) {
        bytes.clear();
        append_utf8(bytes, s.text[i]);
        for (char b : bytes) {
          out.push_back(table[static_cast<unsigned char>(b)]);
          source.push_back(static_cast<ptrdiff_t>(i));
        }
      }
      s.transform(out, source);
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
  TextPattern pattern_;
};

class PatternSplitPreTokenizer : public PreTokenizer {
 public:
  PatternSplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    split_each(pieces, [&](const NormalizedString& s) { return split_at(s, char_matches(pattern_, s), behavior_, invert_); });
  }

 private:
  TextPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class PredicateSplitPreTokenizer : public PreTokenizer {
 public:
  PredicateSplitPreTokenizer(std::function<bool(char32_t)> pred, SplitBehavior behavior)
      : pred_(std::move(pred)), behavior_(behavior) {}
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    split_each(pieces, [&](const NormalizedString& s) { return split_at(s, predicate_matches(s, pred_), behavior_); });
  }

 private:
  std::function<bool(char32_t)> pred_;
  SplitBehavior behavior_;
};

class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    split_each(pieces, [](const NormalizedString& s) {
      return split_at(s, predicate_matches(s, is_whitespace), SplitBehavior::removed);
    });
    split_each(pieces, [](const NormalizedString& s) {
      return split_at(s, predicate_matches(s, is_bert_punctuation), SplitBehavior::isolated);
    });
  }
};

enum class PrependScheme { first, always, never };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<NormalizedString>& pieces) const override {
    split_each(pieces, [&](NormalizedString& s) {
      for (auto& c : s.text)
        if (c == U' ') c = replacement_;
      const bool starts = !s.text.empty() && s.text.front() == replacement_;
      if (!starts && (scheme_ == PrependScheme::always || (scheme_ == PrependScheme::first && s.original.begin == 0)))
        s.prepend(std::u32string(1, replacement_));
      if (!split_) return std::vector<NormalizedString>{s};
      return split_at(s, predicate_matches(s, [&](char32_t c) { return c == replacement_; }), SplitBehavior::merged_with_next);
    });
  }

 private:
  char32_t replacement_;
  PrependScheme scheme_;
  bool split_;
};

}  // namespace

std::vector<NormalizedString> split_at(const NormalizedString& s, const std::vector<std::pair<size_t, size_t>>& matches,
                                       SplitBehavior behavior, bool invert) {
  struct Part {
    size_t b, e;
    bool is_match;
  };
  std::vector<Part> parts;
  if (s.text.empty()) {
    parts.push_back({0, 0, false});
  } else {
    size_t prev = 0;
    for (auto [b, e] : matches) {
      if (b < prev) continue;
      if (prev != b) parts.push_back({prev, b, false});
      parts.push_back({b, e, true});
      prev = e;
    }
    if (prev != s.text.size()) parts.push_back({prev, s.text.size(), false});
  }
  if (invert)
    for (auto& p : parts) p.is_match = !p.is_match;

  std::vector<std::pair<Part, bool>> kept;  // (range, remove)
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::isolated:
      for (const auto& p : parts) kept.push_back({p, false});
      break;
    case SplitBehavior::removed:
      for (const auto& p : parts) kept.push_back({p, p.is_match});
      break;
    case SplitBehavior::contiguous:
      for (const auto& p : parts) {
        if (p.is_match == previous_match && !kept.empty())
          kept.back().first.e = p.e;
        else
          kept.push_back({p, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::merged_with_previous:
      for (const auto& p : parts) {
        if (p.is_match && !previous_match && !kept.empty())
          kept.back().first.e = p.e;
        else
          kept.push_back({p, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::merged_with_next:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty())
          kept.back().first.b = it->b;
        else
          kept.push_back({*it, false});
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  std::vector<NormalizedString> out;
  for (const auto& [p, remove] : kept)
    if (!remove && p.e > p.b) out.push_back(s.slice(p.b, p.e));
  return out;
}

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, use_regex);
}

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPreTokenizer>(); }

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    fail(where + ": pre_tokenizer without a \"type\"");
  const std::string type = j["type"].get<std::string>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& p : j.value("pretokenizers", json::array())) parts.push_back(make_pre_tokenizer(p, where));
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  if (type == "ByteLevel") return make_byte_level_pre_tokenizer(json_bool(j, "add_prefix_space", true), json_bool(j, "use_regex", true));
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "Whitespace")
    return std::make_unique<PatternSplitPreTokenizer>(TextPattern::regex(R"(\w+|[^\w\s]+)"), SplitBehavior::removed, true);
  if (type == "WhitespaceSplit")
    return std::make_unique<PredicateSplitPreTokenizer>(is_whitespace, SplitBehavior::removed);
  if (type == "Punctuation")
    return std::make_unique<PredicateSplitPreTokenizer>(is_bert_punctuation, parse_behavior(j.value("behavior", json()), where));
  if (type == "Digits") {
    const bool individual = json_bool(j, "individual_digits", false);
    return std::make_unique<PredicateSplitPreTokenizer>(is_numeric, individual ? SplitBehavior::isolated : SplitBehavior::contiguous);
  }
  if (type == "CharDelimiterSplit") {
    const std::u32string d = decode_utf8(json_string(j, "delimiter", std::string(" ")));
    const char32_t delim = d.empty() ? U' ' : d.front();
    return std::make_unique<PredicateSplitPreTokenizer>([delim](char32_t c) { return c == delim; }, SplitBehavior::removed);
  }
  if (type == "Split") {
    return std::make_unique<PatternSplitPreTokenizer>(TextPattern::from_json(j.at("pattern"), where),
                                                      parse_behavior(j.value("behavior", json()), where), json_bool(j, "invert", false));
  }
  if (type == "Metaspace") {
    const std::u32string r = decode_utf8(json_string(j, "replacement", std::string("\xE2\x96\x81")));
    PrependScheme scheme = PrependScheme::always;
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
      const std::string p = j["prepend_scheme"].get<std::string>();
      scheme = p == "first" ? PrependScheme::first : p == "never" ? PrependScheme::never : PrependScheme::always;
    } else if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean()) {
      scheme = j["add_prefix_space"].get<bool>() ? PrependScheme::always : PrependScheme::never;
    }
    return std::make_unique<MetaspacePreTokenizer>(r.empty() ? U'\u2581' : r.front(), scheme, json_bool(j, "split", true));
  }
  fail(where + ": unsupported pre_tokenizer type \"" + type + "\"");
}

}  // namespace tokprob::tok
