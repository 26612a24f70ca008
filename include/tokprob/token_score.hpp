// One token with its probability, as every task reports it.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

struct TokenScore {
  int32_t id = 0;
  std::string token;  // vocabulary string ("Ġgo")
  std::string text;   // what it reads as (" go")
  double prob = 0;
  double logprob = 0;
  float logit = 0;
};

}  // namespace tokprob
