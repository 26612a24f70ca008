#include "models/blocks/feed_forward.hpp"

#include <vector>

namespace tokprob {

void feed_forward_block(const FeedForwardWeights& w, const float* h, int64_t T, float* x) {
  const int64_t F = w.inner;
  if (w.fused_gate_up) {
    std::vector<float> both(T * 2 * F), act(T * F);
    linear(h, T, w.gate, both.data());
    for (int64_t r = 0; r < T; ++r)
      gated_activation(w.act, &both[r * 2 * F], &both[r * 2 * F + F], &act[r * F], F);
    linear(act.data(), T, w.down, x, /*accumulate=*/true);
    return;
  }
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
