#include "kernels/attention.hpp"

#include <cblas.h>

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
constexpr int64_t kQueryBlock = 32;
// Fewer queries than this go one at a time (decoding), where a matrix product has nothing to reuse.
constexpr int64_t kMinBlockRows = 4;
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

// The sum of kLanes partial sums, halving: each level is one vector add, where summing them one
// after the other is a chain of kLanes dependent scalar adds (per key, this dominated the kernel).
[[gnu::always_inline]] inline float reduce_lanes(float (&lanes)[kLanes]) {
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
}

// Sums in kLanes independent partial sums: a float reduction in one order does not vectorise
// without -ffast-math; independent lanes do, in the registers of each variant.
[[gnu::always_inline]] inline float dot(const float* a, const float* b, int64_t d) {
  float lanes[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= d; c += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += a[c + l] * b[c + l];
  for (int l = 0; c < d; ++c, ++l) lanes[l] += a[c] * b[c];
  return reduce_lanes(lanes);
}

[[gnu::always_inline]] inline float lane_sum(const float* x, int64_t n) {
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += x[j + l];
  for (int l = 0; j < n; ++j, ++l) lanes[l] += x[j];
  return reduce_lanes(lanes);
}

// The keys query i sees: [first, end).
struct KeyRange {
  int64_t first, end;
};
[[gnu::always_inline]] inline KeyRange visible_keys(const Problem& p, int64_t i) {
  const AttentionShape& s = p.shape;
  const int64_t pos = p.first_pos + i;
  int64_t end = s.causal ? std::min(p.n_ctx, pos + 1) : p.n_ctx;
  const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos + 1 - s.window) : 0;
  if (!s.causal && s.window > 0) end = std::min(p.n_ctx, pos + s.window);
  return {first, end};
}

// Scores sc[0..n) (q·k times the scale) become softmax weights: soft-capped and biased first
// where the shape and `bias` (the same n keys' entries) say so.
[[gnu::always_inline]] inline void softmax_in_place(float* sc, int64_t n, const AttentionShape& s, const float* bias) {
  if (s.softcap > 0.0f) {
    const float cap = s.softcap;
    for (int64_t j = 0; j < n; ++j) sc[j] = vmath::tanh(sc[j] / cap) * cap;
  }
  if (bias)
    for (int64_t j = 0; j < n; ++j) sc[j] += bias[j];
  float max_score = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) max_score = std::max(max_score, sc[j]);
  for (int64_t j = 0; j < n; ++j) sc[j] = vmath::exp(sc[j] - max_score);
  const float inv = 1.0f / lane_sum(sc, n);
  for (int64_t j = 0; j < n; ++j) sc[j] *= inv;
}

// Queries [i0, i1) of head h one at a time (few queries: decoding); `scores` holds n_ctx floats.
[[gnu::always_inline]] inline void attend_rows(const Problem& p, int64_t h, int64_t i0, int64_t i1, float* scores) {
  const AttentionShape& s = p.shape;
  const int64_t d = s.head_dim, kvh = h / (s.n_heads / s.n_kv_heads);
  const float* keys = p.k + kvh * d;
  const float* values = p.v + kvh * d;
  for (int64_t i = i0; i < i1; ++i) {
    const float* qi = p.q + i * p.q_stride + h * d;
    const KeyRange kr = visible_keys(p, i);
    const int64_t first = kr.first, n = kr.end - kr.first;
    float* sc = scores + first;
    for (int64_t j = 0; j < n; ++j) sc[j] = dot(qi, keys + (first + j) * p.kv_stride, d) * s.scale;
    softmax_in_place(sc, n, s, p.bias ? p.bias + (h * p.n_new + i) * p.n_ctx + first : nullptr);
    float* oi = p.out + i * p.out_stride + h * d;
    std::fill(oi, oi + d, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      const float w = sc[j];
      const float* vj = values + (first + j) * p.kv_stride;
      for (int64_t c = 0; c < d; ++c) oi[c] += w * vj[c];
    }
  }
}

// Queries [i0, i1) of head h as two matrix products (BLAS, single-threaded in this thread): the
// scores of the block against every key any of its queries sees, then the weights times the
// values; each row's softmax between them, its keys outside its own range weighted 0. A tile of
// queries reuses each key and value row from cache and registers, where one query at a time
// (attend_rows) reads them all again for every query. `scores` holds (i1 - i0) * n_ctx floats.
[[gnu::always_inline]] inline void attend_block(const Problem& p, int64_t h, int64_t i0, int64_t i1, float* scores) {
  const AttentionShape& s = p.shape;
  const int64_t d = s.head_dim, kvh = h / (s.n_heads / s.n_kv_heads), rows = i1 - i0;
  // first and end grow with i (causal, windowed or not).
  const int64_t k0 = visible_keys(p, i0).first, k1 = visible_keys(p, i1 - 1).end, nk = k1 - k0;
  const float* keys = p.k + k0 * p.kv_stride + kvh * d;
  const float* values = p.v + k0 * p.kv_stride + kvh * d;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(nk),
              static_cast<int>(d), s.scale, p.q + i0 * p.q_stride + h * d, static_cast<int>(p.q_stride), keys,
              static_cast<int>(p.kv_stride), 0.0f, scores, static_cast<int>(nk));
  for (int64_t r = 0; r < rows; ++r) {
    const KeyRange kr = visible_keys(p, i0 + r);
    float* row = scores + r * nk;
    const int64_t a = kr.first - k0, n = kr.end - kr.first;
    softmax_in_place(row + a, n, s, p.bias ? p.bias + (h * p.n_new + i0 + r) * p.n_ctx + kr.first : nullptr);
    std::fill(row, row + a, 0.0f);
    std::fill(row + a + n, row + nk, 0.0f);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(d),
              static_cast<int>(nk), 1.0f, scores, static_cast<int>(nk), values, static_cast<int>(p.kv_stride), 0.0f,
              p.out + i0 * p.out_stride + h * d, static_cast<int>(p.out_stride));
}

// Tasks t in [t0, t1): blocks ordered 0, last, 1, last - 1, ... so that with causal attention
// (later queries see more keys) each thread's contiguous range of tasks costs about the same.
[[gnu::always_inline]] inline void attend_tasks(const Problem& p, int64_t t0, int64_t t1) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(std::min(p.n_new, kQueryBlock) * p.n_ctx));
  const int64_t blocks = (p.n_new + kQueryBlock - 1) / kQueryBlock;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t h = t % p.shape.n_heads, slot = t / p.shape.n_heads;
    const int64_t b = slot % 2 == 0 ? slot / 2 : blocks - 1 - slot / 2;
    const int64_t i0 = b * kQueryBlock, i1 = std::min(p.n_new, (b + 1) * kQueryBlock);
    if (i1 - i0 >= kMinBlockRows)
      attend_block(p, h, i0, i1, scores.data());
    else
      attend_rows(p, h, i0, i1, scores.data());
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
  // BLAS runs inside the pool's threads, so single-threaded itself (as linear() keeps it).
  static const bool blas_single_threaded = (openblas_set_num_threads(1), true);
  (void)blas_single_threaded;
  const Problem p{q, q_stride, k, v, kv_stride, n_ctx, n_new, first_pos, s, out, out_stride, bias};
  const int64_t tasks = s.n_heads * ((n_new + kQueryBlock - 1) / kQueryBlock);
  const int64_t min_tasks = n_new * n_ctx < 4096 ? tasks : 1;  // tiny problems stay on one thread
  parallel_for(tasks, min_tasks, [&](int64_t t0, int64_t t1) {
    dispatch_isa([&] { attend_portable(p, t0, t1); }, [&] { attend_avx2(p, t0, t1); },
                 [&] { attend_avx512(p, t0, t1); });
  });
}

}  // namespace tokprob
