// The engine side of the task (public options and results: tokprob/score.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/causal_lm.hpp"
#include "tokprob/score.hpp"

namespace tokprob {

// Throws tokprob::Error for an empty text, bad window/stride, more work than max_positions_run, or
// score_first_token with a tokenizer that has neither a BOS nor an EOS token.
// `boundaries`: the tokenizer's, where the caller keeps them (else read for the call when words
// are asked for).
std::vector<ScoreResult> score_texts(const CausalLM& model, const Tokenizer& tokenizer,
                                     std::span<const std::string> texts, const ScoreOptions& options,
                                     const WordBoundaries* boundaries = nullptr);

// The same for texts given as token ids, scored exactly as given (options.score_first_token adds
// nothing: put the start token in `ids`); the results' text is empty, and there are no words.
// Throws tokprob::Error for an id outside the model's vocabulary.
std::vector<ScoreResult> score_ids(const CausalLM& model, const Tokenizer& tokenizer,
                                   std::span<const std::vector<int32_t>> ids, const ScoreOptions& options);

// The same for texts given as token ids, scored exactly as given (options.score_first_token adds
// nothing: put the start token in `ids`); the results' text is empty. Throws tokprob::Error for an
// id outside the model's vocabulary.
std::vector<ScoreResult> score_ids(const CausalLM& model, const Tokenizer& tokenizer,
                                   std::span<const std::vector<int32_t>> ids, const ScoreOptions& options);

}  // namespace tokprob
