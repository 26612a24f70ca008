// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): they cut normalized text into the pieces
// the model tokenizes one at a time (and ByteLevel also rewrites bytes as printable code points).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tokenizer/normalized_string.hpp"

namespace tokprob::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their pre-tokenized pieces, in order.
  virtual void pre_tokenize(std::vector<NormalizedString>& pieces) const = 0;
};

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& where);
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex);
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();

// How a split treats the matched delimiters, as `tokenizers`' SplitDelimiterBehavior.
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };
// Splits at `matches` ([begin, end) in code points, sorted, non-overlapping); empty pieces dropped.
std::vector<NormalizedString> split_at(const NormalizedString& s, const std::vector<std::pair<size_t, size_t>>& matches,
                                       SplitBehavior behavior, bool invert = false);

}  // namespace tokprob::tok
