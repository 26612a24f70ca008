// Word probabilities from token probabilities (ScoreOptions::words).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "generate/distribution.hpp"
#include "tasks/word_spans.hpp"
#include "tokprob/score.hpp"

namespace tokprob {

// log of the probability mass `dist` puts on `ids` (ascending; ids past the distribution's
// vocabulary are left out).
double log_mass(const Distribution& dist, std::span<const int32_t> ids);

// `log_word_start[t]`: log P(token t begins a word | the tokens before t), for t = 0..tokens.size()
// (the last: after the whole text), absent where no distribution was computed.
std::vector<ScoredWord> score_words(std::span<const ScoredToken> tokens, std::span<const WordTokens> words,
                                    const WordBoundaries& boundaries,
                                    std::span<const std::optional<double>> log_word_start, std::u32string_view text);

}  // namespace tokprob
