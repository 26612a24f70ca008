// The engine side of the task (public options and results: tokprob/next.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/causal_lm.hpp"
#include "tasks/token_score.hpp"
#include "tokprob/next.hpp"

namespace tokprob {

// Every text is one batch row; results come text by text (and position by position).
// Throws tokprob::Error for an empty text, a position outside the text, an empty target, a
// text longer than the model's context, or more than kMaxListedTokens rows in all.
std::vector<NextResult> next_token_distribution(const CausalLM& model, const Tokenizer& tokenizer,
                                                std::span<const std::string> texts, const NextOptions& options);

}  // namespace tokprob
