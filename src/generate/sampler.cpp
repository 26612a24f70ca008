#include "generate/sampler.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "tokprob/error.hpp"

namespace tokprob {

int32_t TokenSampler::sample(std::span<const float> scores) {
  float mx = -std::numeric_limits<float>::infinity();
  for (float v : scores) mx = std::max(mx, v);
  if (!std::isfinite(mx)) fail("cannot sample: every token was filtered out (or a score is not finite)");
  std::vector<double> weight(scores.size());
  double total = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    weight[i] = std::exp(static_cast<double>(scores[i]) - mx);
    total += weight[i];
  }
  const double target = uniform() * total;
  double cum = 0;
  int32_t last = -1;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (weight[i] <= 0) continue;
    cum += weight[i];
    last = static_cast<int32_t>(i);
    if (target < cum) return last;
  }
  return last;  // rounding left target at the very top: the last token with weight
}

}  // namespace tokprob
