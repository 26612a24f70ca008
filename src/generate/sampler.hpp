// Draws a token from a row of (processed) scores with a seeded generator.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace tokprob {

// std::mt19937_64, and uniform numbers made from its 53 high bits by hand rather than with
// std::uniform_real_distribution (whose algorithm differs between standard libraries): the same
// seed draws the same tokens on every platform. This is not torch's generator, so a seed never
// reproduces the draws of torch.multinomial.
class TokenSampler {
 public:
  explicit TokenSampler(uint64_t seed) : rng_(seed) {}
  // A uniform number in [0, 1).
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  // Token i with probability softmax(scores)_i; -inf scores are never drawn.
  int32_t sample(std::span<const float> scores);

 private:
  std::mt19937_64 rng_;
};

}  // namespace tokprob
