// One token with its probability, from a distribution (the struct is public: tokprob/token_score.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "generate/distribution.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// The token's id, vocabulary string and text, with no probability yet.
TokenScore named_token(const Tokenizer& tokenizer, int32_t id);
TokenScore score_token(const Distribution& dist, const Tokenizer& tokenizer, int32_t id);
std::vector<TokenScore> top_tokens(const Distribution& dist, const Tokenizer& tokenizer, int64_t k);

}  // namespace tokprob
