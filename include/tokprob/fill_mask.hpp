// The `fill-mask` task: for every mask token of a text, the distribution of the token that fills
// it, from a masked language model (BERT, DistilBERT), as the fill-mask pipeline reports it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tokprob/model.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

struct FillMaskOptions {
  int64_t top_k = 10;  // tokens listed per mask (>= 1)
  // Words scored at every mask even outside the top k. A word that is one vocabulary entry is that
  // token; otherwise it is tokenized (without special tokens), as the pipeline does.
  std::vector<std::string> targets;
};

// A candidate for one mask. `text` is the token decoded alone (the pipeline's token_str: "##ret"
// stays "##ret"); `sequence` is the text with this token in the mask's place.
struct MaskFill {
  TokenScore score;
  std::string sequence;
};

// What a target word scores at one mask. One token can fill one mask, so a word that splits into
// several pieces is reported with all its pieces, `whole_word` false, and `fill` holding the
// probability of its FIRST piece only (the fill-mask pipeline silently uses the first piece).
struct MaskTarget {
  std::string target;
  std::vector<int32_t> piece_ids;
  std::vector<std::string> pieces;  // vocabulary strings of piece_ids
  bool whole_word = true;           // piece_ids.size() == 1: `fill` is the word's own probability
  MaskFill fill;                    // the first piece at the mask
};

struct MaskPrediction {
  int64_t position = 0;    // index of the mask token in input_ids
  double logsumexp = 0;    // of the logits row
  std::vector<MaskFill> top;
  std::vector<MaskTarget> targets;
};

struct FillMaskResult {
  std::string text;
  std::vector<int32_t> input_ids;
  std::vector<MaskPrediction> masks;  // one per mask token, in text order
};

// Throws tokprob::OptionError naming the first field out of its range ("top_k must be at least 1").
void validate(const FillMaskOptions& options);

// The fill-mask task on a masked LM (all texts as one batch).
std::vector<FillMaskResult> fill_mask(const Model& model, std::span<const std::string> texts,
                                      const FillMaskOptions& options = {});

}  // namespace tokprob
