// Normalizers of tokenizer.json ("normalizer"): they rewrite the text before it is split, keeping
// the alignment to the input.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "tokenizer/normalized_string.hpp"
#include "tokenizer/text_pattern.hpp"

namespace tokprob::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

// `where` names the file for error messages; null JSON gives nullptr (no normalization).
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& where);

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  int strip_accents = -1;  // -1: follow `lowercase`, as a null strip_accents does
  bool lowercase = true;
};
std::unique_ptr<Normalizer> make_bert_normalizer(const BertNormalizerOptions& options);

// Replaces every match of `pattern` by `content`; shared with the Replace decoder's logic.
void replace_in(NormalizedString& s, const TextPattern& pattern, const std::u32string& content);

}  // namespace tokprob::tok
