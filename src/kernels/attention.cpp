#include "kernels/attention.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/cpu_isa.hpp"
#include "kernels/thread_pool.hpp"
#include "kernels/vector_math.hpp"

namespace tokprob {

namespace {

// Queries per task: a thread takes (head, block of queries) pairs, so that a long prompt spreads
// over every thread even when the model has fewer heads than threads.
constexpr int64_t kQueryBlock = 16;
constexpr int kLanes = 16;

struct Problem {
  const float* q;
  int64_t q_stride;
  const float* k;
  const float* v;
  int64_t kv_stride, n_ctx, n_new, first_pos;
  const AttentionShape& shape;
  float* out;
  int64_t out_stride;
  const float* bias;
};

// Sums in kLanes independent partial sums: a float reduction in one order does not vectorise
// without -ffast-math; independent lanes do, in the registers of each variant.
[[gnu::always_inline]] inline float dot(const float* a, const float* b, int64_t d) {
  float lanes[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= d; c += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += a[c + l] * b[c + l];
  float sum = 0.0f;
  for (; c < d; ++c) sum += a[c] * b[c];
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

[[gnu::always_inline]] inline float lane_sum(const float* x, int64_t n) {
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += x[j + l];
  float sum = 0.0f;
  for (; j < n; ++j) sum += x[j];
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

// Queries [i0, i1) of head h; `scores` holds n_ctx floats.
[[gnu::always_inline]] inline void attend_block(const Problem& p, int64_t h, int64_t i0, int64_t i1, float* scores) {
  const AttentionShape& s = p.shape;
  const int64_t d = s.head_dim, kvh = h / (s.n_heads / s.n_kv_heads);
  const float* keys = p.k + kvh * d;
  const float* values = p.v + kvh * d;
  for (int64_t i = i0; i < i1; ++i) {
    const float* qi = p.q + i * p.q_stride + h * d;
    const int64_t pos = p.first_pos + i;
    int64_t visible = s.causal ? std::min(p.n_ctx, pos + 1) : p.n_ctx;
    const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos + 1 - s.window) : 0;
    if (!s.causal && s.window > 0) visible = std::min(p.n_ctx, pos + s.window);
    const int64_t n = visible - first;
    float* sc = scores + first;
    for (int64_t j = 0; j < n; ++j) sc[j] = dot(qi, keys + (first + j) * p.kv_stride, d) * s.scale;
    if (s.softcap > 0.0f) {
      const float cap = s.softcap;
      for (int64_t j = 0; j < n; ++j) sc[j] = vmath::tanh(sc[j] / cap) * cap;
    }
    if (p.bias) {
      const float* bias_row = p.bias + (h * p.n_new + i) * p.n_ctx + first;
      for (int64_t j = 0; j < n; ++j) sc[j] += bias_row[j];
    }
    float max_score = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) max_score = std::max(max_score, sc[j]);
    for (int64_t j = 0; j < n; ++j) sc[j] = vmath::exp(sc[j] - max_score);
    const float inv = 1.0f / lane_sum(sc, n);
    float* oi = p.out + i * p.out_stride + h * d;
    std::fill(oi, oi + d, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      const float w = sc[j] * inv;
      const float* vj = values + (first + j) * p.kv_stride;
      for (int64_t c = 0; c < d; ++c) oi[c] += w * vj[c];
    }
  }
}

// Tasks t in [t0, t1): blocks ordered 0, last, 1, last - 1, ... so that with causal attention
// (later queries see more keys) each thread's contiguous range of tasks costs about the same.
[[gnu::always_inline]] inline void attend_tasks(const Problem& p, int64_t t0, int64_t t1) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(p.n_ctx));
  const int64_t blocks = (p.n_new + kQueryBlock - 1) / kQueryBlock;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t h = t % p.shape.n_heads, slot = t / p.shape.n_heads;
    const int64_t b = slot % 2 == 0 ? slot / 2 : blocks - 1 - slot / 2;
    attend_block(p, h, b * kQueryBlock, std::min(p.n_new, (b + 1) * kQueryBlock), scores.data());
  }
}

// One instantiation per instruction-set variant (kernels/cpu_isa.hpp).
TOKPROB_TARGET_AVX512 void attend_avx512(const Problem& p, int64_t t0, int64_t t1) { attend_tasks(p, t0, t1); }
TOKPROB_TARGET_AVX2 void attend_avx2(const Problem& p, int64_t t0, int64_t t1) { attend_tasks(p, t0, t1); }
void attend_portable(const Problem& p, int64_t t0, int64_t t1) { attend_tasks(p, t0, t1); }

}  // namespace

void attention(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride, int64_t n_ctx,
               int64_t n_new, int64_t first_pos, const AttentionShape& s, float* out, int64_t out_stride,
               const float* bias) {
  const Problem p{q, q_stride, k, v, kv_stride, n_ctx, n_new, first_pos, s, out, out_stride, bias};
  const int64_t tasks = s.n_heads * ((n_new + kQueryBlock - 1) / kQueryBlock);
  const int64_t min_tasks = n_new * n_ctx < 4096 ? tasks : 1;  // tiny problems stay on one thread
  parallel_for(tasks, min_tasks, [&](int64_t t0, int64_t t1) {
    dispatch_isa([&] { attend_portable(p, t0, t1); }, [&] { attend_avx2(p, t0, t1); },
                 [&] { attend_avx512(p, t0, t1); });
  });
}

}  // namespace tokprob
