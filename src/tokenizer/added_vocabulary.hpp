// Added tokens (special or not): matched in the text before the model sees it and never split.
// Tokens with normalized=false are looked for in the raw text; the others in the normalized
// text, in their normalized spelling (as `tokenizers` does, so Prepend("▁") makes "<unk>" match
// only as "▁<unk>").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/normalizers.hpp"

namespace tokprob::tok {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = true;
};

struct AddedMatch {
  std::optional<size_t> token;  // index into tokens(); nothing for text between matches
  size_t begin, end;            // code points
};

class AddedVocabulary {
 public:
  void add(AddedToken t);
  // Builds the match tables; normalized tokens are matched in their form after `normalizer`.
  void build(const Normalizer* normalizer);

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* by_id(int32_t id) const;
  std::optional<int32_t> id_of(const std::string& content) const;
  bool is_special(int32_t id) const { return special_ids_.count(id) != 0; }

  // Splits `text` at the matches of the raw (normalized=false) or normalized tokens.
  std::vector<AddedMatch> split(const std::u32string& text, bool normalized_set) const;

 private:
  struct Pattern {
    std::u32string text;
    size_t token;
  };
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, int32_t> by_content_;
  std::unordered_set<int32_t> special_ids_;
  struct PatternSet {
    std::vector<Pattern> patterns;  // longest first
    // Patterns by first code point, longest first, so most positions are passed over at once.
    std::unordered_map<char32_t, std::vector<size_t>> by_first;
  };
  static void index(PatternSet& set);
  PatternSet raw_, normalized_;
};

}  // namespace tokprob::tok
