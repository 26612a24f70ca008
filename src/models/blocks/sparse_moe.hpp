// The sparse mixture-of-experts feed-forward block (Mixtral, Qwen3-MoE): a router picks each row's
// top-k experts from the softmax of its logits, and the row takes the sum, best expert first, of
// those experts' gated feed-forwards weighted by their router probabilities (renormalised over the
// k chosen when the family says so).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/linear.hpp"
#include "models/blocks/feed_forward.hpp"

namespace tokprob {

struct SparseMoeWeights {
  LinearWeights router;                     // [C] -> [experts], no bias
  std::vector<FeedForwardWeights> experts;  // each gated: down(act(gate(h)) * up(h))
  int64_t top_k = 0;
  bool normalize_top_k = true;  // divide the k chosen probabilities by their sum

  explicit operator bool() const { return !experts.empty(); }
};

// The experts chosen for one row and their weights, best first, from its router logits.
struct Routing {
  std::vector<int64_t> experts;
  std::vector<float> weights;
};
Routing route(const float* logits, int64_t n_experts, int64_t top_k, bool normalize);

// h: [T, C] -> x: [T, C] += moe(h)
void sparse_moe_block(const SparseMoeWeights& w, const float* h, int64_t T, int64_t C, float* x);

}  // namespace tokprob
