// The engine side of the compare task (public options and results: tokprob/compare.hpp).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/causal_lm.hpp"
#include "tokprob/compare.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// Throws a usage error when the two tokenizers differ (vocabulary, or the ids of a text).
void check_same_tokenizer(const Tokenizer& observer, const Tokenizer& performer);

std::vector<CompareResult> compare_texts(const CausalLM& observer, const Tokenizer& observer_tokenizer,
                                         const CausalLM& performer, const Tokenizer& performer_tokenizer,
                                         std::span<const std::string> texts, const CompareOptions& options);

}  // namespace tokprob
