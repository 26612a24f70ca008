#include "models/blocks/sparse_moe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tokprob {

Routing route(const float* logits, int64_t n_experts, int64_t top_k, bool normalize) {
  // softmax in fp32, as the reference computes it before its top-k.
  std::vector<float> p(logits, logits + n_experts);
  const float m = *std::max_element(p.begin(), p.end());
  float sum = 0.0f;
  for (float& v : p) {
    v = std::exp(v - m);
    sum += v;
  }
  for (float& v : p) v /= sum;
  std::vector<int64_t> order(n_experts);
  std::iota(order.begin(), order.end(), 0);
  // Largest first; among equal probabilities the lower index, as torch.topk returns them on CPU.
  std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                    [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  Routing r;
  r.experts.assign(order.begin(), order.begin() + top_k);
  for (int64_t e : r.experts) r.weights.push_back(p[e]);
  if (normalize) {
    float total = 0.0f;
    for (float v : r.weights) total += v;
    for (float& v : r.weights) v /= total;
  }
  return r;
}

void sparse_moe_block(const SparseMoeWeights& w, const float* h, int64_t T, int64_t C, float* x) {
  const int64_t E = static_cast<int64_t>(w.experts.size());
  std::vector<float> logits(T * E);
  linear(h, T, w.router, logits.data());
  std::vector<Routing> routes;
  for (int64_t t = 0; t < T; ++t) routes.push_back(route(&logits[t * E], E, w.top_k, w.normalize_top_k));

  // Expert by expert over the rows routed to it; each row then sums its k weighted outputs in
  // routing order, best first (the reference's default grouped-mm experts: weighted outputs put
  // back in token order and summed over k), and that sum is added to the stream.
  std::vector<float> outputs(T * w.top_k * C);  // [T, k, C]
  for (int64_t e = 0; e < E; ++e) {
    std::vector<int64_t> slots;  // t * k + the rank at which row t chose e
    for (int64_t t = 0; t < T; ++t)
      for (int64_t k = 0; k < w.top_k; ++k)
        if (routes[t].experts[k] == e) slots.push_back(t * w.top_k + k);
    if (slots.empty()) continue;
    const int64_t n = static_cast<int64_t>(slots.size());
    std::vector<float> in(n * C), out(n * C, 0.0f);
    for (int64_t i = 0; i < n; ++i) std::copy_n(h + slots[i] / w.top_k * C, C, &in[i * C]);
    feed_forward_block(w.experts[e], in.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const float weight = routes[slots[i] / w.top_k].weights[slots[i] % w.top_k];
      for (int64_t c = 0; c < C; ++c) outputs[slots[i] * C + c] = out[i * C + c] * weight;
    }
  }
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (int64_t k = 0; k < w.top_k; ++k) sum += outputs[(t * w.top_k + k) * C + c];
      x[t * C + c] += sum;
    }
}

}  // namespace tokprob
