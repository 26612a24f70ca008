#include "models/blocks/feed_forward.hpp"

#include <vector>

namespace tokprob {

void feed_forward_block(const FeedForwardWeights& w, const float* h, int64_t T, float* x) {
  const int64_t F = w.inner;
  std::vector<float> up(T * F);
  linear(h, T, w.up, up.data());
  if (w.gated) {
    std::vector<float> gate(T * F);
    linear(h, T, w.gate, gate.data());
    gated_activation(w.act, gate.data(), up.data(), up.data(), T * F);
  } else {
    apply_activation(w.act, up.data(), T * F);
  }
  linear(up.data(), T, w.down, x, /*accumulate=*/true);
}

}  // namespace tokprob
