#include "tokenizer/normalizers.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "tokenizer/bert_unicode8.hpp"
#include "tokenizer/precompiled_charsmap.hpp"
#include "tokenizer/unicode_forms.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

// The ranges of `tokenizers`' BERT normalizer, whose CJK Extension E range starts at U+2B920 (the
// original BERT code has U+2B820): U+2B820..U+2B91F are not padded with spaces there.
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void drop_where(NormalizedString& s, bool (*mark)(char32_t)) {
  s.map_each([mark](char32_t c, std::u32string& out) {
    if (!mark(c)) out.push_back(c);
  });
}

void lowercase(NormalizedString& s) {
  s.map_each([](char32_t c, std::u32string& out) { append_lowercase(out, c); });
}

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(NormalizedString& s) const override {
    for (const auto& p : parts_)
      if (p) p->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(NormalizedString& s) const override { unicode_normalize(s, form_); }

 private:
  UnicodeForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { lowercase(s); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { drop_where(s, is_nonspacing_mark); }
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& s) const override {
    size_t b = 0, e = s.text.size();
    if (left_)
      while (b < e && is_whitespace(s.text[b])) ++b;
    if (right_)
      while (e > b && is_whitespace(s.text[e - 1])) --e;
    if (b != 0 || e != s.text.size()) {
      const Span whole = s.original;
      s = s.slice(b, e);
      s.original = whole;
    }
  }

 private:
  bool left_, right_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::u32string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedString& s) const override { replace_in(s, pattern_, content_); }

 private:
  TextPattern pattern_;
  std::u32string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::u32string prefix) : prefix_(std::move(prefix)) {}
  void normalize(NormalizedString& s) const override { s.prepend(prefix_); }

 private:
  std::u32string prefix_;
};

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const BertNormalizerOptions& o) : o_(o) {}
  void normalize(NormalizedString& s) const override {
    if (o_.clean_text) {
      s.map_each([](char32_t c, std::u32string& out) {
        const bool keep_ws = c == U'\t' || c == U'\n' || c == U'\r';
        if (c == 0 || c == 0xFFFD || (!keep_ws && is_bert_control(c))) return;
        out.push_back(keep_ws || is_whitespace(c) ? U' ' : c);
      });
    }
    if (o_.handle_chinese_chars) {
      s.map_each([](char32_t c, std::u32string& out) {
        if (is_chinese_char(c)) {
          out.push_back(U' ');
          out.push_back(c);
          out.push_back(U' ');
        } else {
          out.push_back(c);
        }
      });
    }
    const bool strip = o_.strip_accents < 0 ? o_.lowercase : o_.strip_accents != 0;
    if (strip) {
      unicode_normalize(s, UnicodeForm::nfd);
      drop_where(s, is_bert_nonspacing_mark);
    }
    if (o_.lowercase) lowercase(s);
  }

 private:
  BertNormalizerOptions o_;
};

// SentencePiece's "nmt" rules: drop C0 controls, make the remaining space-like code points spaces.
class NmtNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.map_each([](char32_t c, std::u32string& out) {
      if ((c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F) return;
      const bool space = c == 0x9 || c == 0xA || c == 0xC || c == 0xD || c == 0x1680 || (c >= 0x200B && c <= 0x200F) ||
                         c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD;
      out.push_back(space ? U' ' : c);
    });
  }
};

class PrecompiledNormalizer : public Normalizer {
 public:
  explicit PrecompiledNormalizer(PrecompiledCharsmap map) : map_(std::move(map)) {}
  void normalize(NormalizedString& s) const override { map_.normalize(s); }

 private:
  PrecompiledCharsmap map_;
};


}  // namespace

void replace_in(NormalizedString& s, const TextPattern& pattern, const std::u32string& content) {
  const std::string utf8 = s.utf8();
  const auto matches = pattern.find_all(utf8);
  if (matches.empty()) return;
  // Byte offsets of the matches become code point offsets.
  std::vector<size_t> char_at(utf8.size() + 1, 0);
  for (size_t i = 0, c = 0; i <= utf8.size(); ++i) {
    if (i < utf8.size() && (static_cast<unsigned char>(utf8[i]) & 0xC0) == 0x80) {
      char_at[i] = c;
      continue;
    }
    char_at[i] = c++;
  }
  std::u32string out;
  std::vector<ptrdiff_t> source;
  size_t prev = 0;
  for (auto [bb, eb] : matches) {
    const size_t b = char_at[bb], e = char_at[eb];
    if (b < prev) continue;
    for (size_t i = prev; i < b; ++i) {
      out.push_back(s.text[i]);
      source.push_back(static_cast<ptrdiff_t>(i));
    }
    // `tokenizers` aligns every replacing character with the match's last character (a run of
    // spaces collapsed to one reads as the run's last space).
    for (size_t k = 0; k < content.size(); ++k) {
      out.push_back(content[k]);
      source.push_back(e > b ? static_cast<ptrdiff_t>(e - 1) : (b > 0 ? static_cast<ptrdiff_t>(b - 1) : -1));
    }
    prev = e;
  }
  for (size_t i = prev; i < s.text.size(); ++i) {
    out.push_back(s.text[i]);
    source.push_back(static_cast<ptrdiff_t>(i));
  }
  s.transform(out, source);
}

std::unique_ptr<Normalizer> make_bert_normalizer(const BertNormalizerOptions& options) {
  return std::make_unique<BertNormalizer>(options);
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    fail(where + ": normalizer without a \"type\"");
  const std::string type = j["type"].get<std::string>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto& p : j.value("normalizers", json::array())) parts.push_back(make_normalizer(p, where));
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::nfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::nfkd);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") return std::make_unique<StripNormalizer>(json_bool(j, "strip_left", true), json_bool(j, "strip_right", true));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(TextPattern::from_json(j.at("pattern"), where),
                                               decode_utf8(json_string(j, "content", std::string())));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(decode_utf8(json_string(j, "prepend", std::string())));
  if (type == "Nmt") return std::make_unique<NmtNormalizer>();
  if (type == "BertNormalizer") {
    BertNormalizerOptions o;
    o.clean_text = json_bool(j, "clean_text", true);
    o.handle_chinese_chars = json_bool(j, "handle_chinese_chars", true);
    o.lowercase = json_bool(j, "lowercase", true);
    const auto sa = j.find("strip_accents");
    o.strip_accents = sa == j.end() || !sa->is_boolean() ? -1 : (sa->get<bool>() ? 1 : 0);
    return std::make_unique<BertNormalizer>(o);
  }
  if (type == "Precompiled") {
    const auto it = j.find("precompiled_charsmap");
    if (it == j.end() || it->is_null()) return nullptr;  // an empty charsmap normalizes nothing
    if (!it->is_string()) fail(where + ": precompiled_charsmap must be a base64 string");
    return std::make_unique<PrecompiledNormalizer>(PrecompiledCharsmap(base64_decode(it->get<std::string>(), where), where));
  }
  fail(where + ": unsupported normalizer type \"" + type + "\"");
}

}  // namespace tokprob::tok
