// One token with its probability, as every task reports it.
#pragma once

#include <cstdint>
#include <string>

#include "generate/distribution.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

struct TokenScore {
  int32_t id = 0;
  std::string token;  // vocabulary string ("Ġgo")
  std::string text;   // what it reads as (" go")
  double prob = 0;
  double logprob = 0;
  float logit = 0;
};

TokenScore score_token(const Distribution& dist, const Tokenizer& tokenizer, int32_t id);
std::vector<TokenScore> top_tokens(const Distribution& dist, const Tokenizer& tokenizer, int64_t k);

}  // namespace tokprob
