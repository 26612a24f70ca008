// A model's raw logits, as `model(**tokenizer(text, return_tensors="pt")).logits[0]` gives them in
// transformers, for any kind of model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tokprob/model.hpp"

namespace tokprob {

struct Logits {
  std::vector<int32_t> ids;   // the input tokens
  std::vector<float> values;  // [rows, cols] row-major
  int64_t rows = 0, cols = 0;
};

// By kind: a causal LM's [tokens, vocab] (row i: the logits after token i); a masked LM's
// [tokens, vocab] (the MLM head at every position); a classifier's [1, labels]; a seq2seq model's
// decoder logits [decoder tokens, vocab] for `decoder_ids` (which start with the decoder start
// token) after encoding `ids` (decoder_ids empty: the decoder start token alone).
// Throws tokprob::Error for no ids, an id outside the vocabulary or more than the model's positions.
Logits logits(const Model& model, std::span<const int32_t> ids, std::span<const int32_t> decoder_ids = {});
// The same for the tokens of `text`.
Logits logits(const Model& model, const std::string& text, bool add_special_tokens = true);

}  // namespace tokprob
