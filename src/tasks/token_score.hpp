// One token with its probability, from a distribution (the struct is public: tokprob/token_score.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "generate/distribution.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

TokenScore score_token(const Distribution& dist, const Tokenizer& tokenizer, int32_t id);
std::vector<TokenScore> top_tokens(const Distribution& dist, const Tokenizer& tokenizer, int64_t k);

}  // namespace tokprob
