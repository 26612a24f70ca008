#include "kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/thread_pool.hpp"

namespace tokprob {

void attention(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride, int64_t n_ctx,
               int64_t n_new, int64_t first_pos, const AttentionShape& s, float* out, int64_t out_stride,
               const float* bias) {
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t d = s.head_dim;
  // Heads are independent: one chunk of heads per thread, each with its own score row.
  const int64_t min_heads = n_new * n_ctx < 4096 ? s.n_heads : 1;  // tiny problems stay on one thread
  parallel_for(s.n_heads, min_heads, [&](int64_t h_begin, int64_t h_end) {
  std::vector<float> scores(static_cast<size_t>(n_ctx));
  for (int64_t h = h_begin; h < h_end; ++h) {
    const int64_t kvh = h / group;
    for (int64_t i = 0; i < n_new; ++i) {
      const float* qi = q + i * q_stride + h * d;
      const int64_t pos = first_pos + i;
      int64_t visible = s.causal ? std::min(n_ctx, pos + 1) : n_ctx;
      const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos + 1 - s.window) : 0;
      if (!s.causal && s.window > 0) visible = std::min(n_ctx, pos + s.window);
      const float* bias_row = bias ? bias + (h * n_new + i) * n_ctx : nullptr;
      float max_score = -std::numeric_limits<float>::infinity();
      for (int64_t j = first; j < visible; ++j) {
        const float* kj = k + j * kv_stride + kvh * d;
        float dot = 0.0f;
        for (int64_t c = 0; c < d; ++c) dot += qi[c] * kj[c];
        float sc = dot * s.scale;
        if (s.softcap > 0.0f) sc = std::tanh(sc / s.softcap) * s.softcap;
        if (bias_row) sc += bias_row[j];
        scores[j] = sc;
        max_score = std::max(max_score, sc);
      }
      double sum = 0.0;
      for (int64_t j = first; j < visible; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* oi = out + i * out_stride + h * d;
      std::fill(oi, oi + d, 0.0f);
      for (int64_t j = first; j < visible; ++j) {
        const float p = scores[j] * inv;
        const float* vj = v + j * kv_stride + kvh * d;
        for (int64_t c = 0; c < d; ++c) oi[c] += p * vj[c];
      }
    }
  }
  });
}

}  // namespace tokprob
