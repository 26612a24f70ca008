// The feed-forward block: down(act(up(h))) (GELU, ReLU: GPT-2, OPT) or down(act(gate(h)) * up(h))
// (SwiGLU, GeGLU: Llama, Gemma), added to the residual stream.
#pragma once

#include <cstdint>

#include "kernels/activations.hpp"
#include "kernels/linear.hpp"

namespace tokprob {

struct FeedForwardWeights {
  bool gated = false;
  Activation act = Activation::gelu_tanh;
  int64_t inner = 0;
  LinearWeights gate, up, down;  // gate only when gated
  // Gated, with `gate` one projection to [gate | up] (Phi-3's gate_up_proj) and `up` unused.
  bool fused_gate_up = false;
};

// h: [T, C] -> x: [T, C] += ffn(h)
void feed_forward_block(const FeedForwardWeights& w, const float* h, int64_t T, float* x);

}  // namespace tokprob
