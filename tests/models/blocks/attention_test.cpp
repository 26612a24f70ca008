// The self-attention block with q/k norms, RoPE, GQA and a sliding window against the same layer
// computed here in double from the definitions (per-head RMSNorm, then rotate-half RoPE, then a
// windowed causal softmax).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/blocks/attention.hpp"
#include "models/kv_cache.hpp"

namespace tokprob {
namespace {

constexpr int64_t C = 8, H = 2, KVH = 1, D = 4, T = 6, kWindow = 3;
constexpr float kEps = 1e-6f;

using Matrix = std::vector<float>;  // [out, in]

std::vector<double> project(const Matrix& w, const float* x, int64_t out) {
  std::vector<double> y(out, 0.0);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < C; ++i) y[o] += double(w[o * C + i]) * x[i];
  return y;
}

// Per-head RMSNorm with gamma, then RoPE (pairs j, j + D/2) at `pos`, theta 10000.
void norm_and_rotate(std::vector<double>& x, int64_t heads, const std::vector<float>& gamma, int64_t pos) {
  for (int64_t h = 0; h < heads; ++h) {
    double* xh = &x[h * D];
    double ss = 0;
    for (int64_t i = 0; i < D; ++i) ss += xh[i] * xh[i];
    const double inv = 1.0 / std::sqrt(ss / D + kEps);
    for (int64_t i = 0; i < D; ++i) xh[i] *= inv * gamma[i];
    for (int64_t j = 0; j < D / 2; ++j) {
      const double t = double(pos) * std::pow(10000.0, -2.0 * j / D);
      const double a = xh[j], b = xh[j + D / 2];
      xh[j] = a * std::cos(t) - b * std::sin(t);
      xh[j + D / 2] = b * std::cos(t) + a * std::sin(t);
    }
  }
}

TEST(SelfAttentionBlock, QkNormsRopeGqaAndWindowMatchDefinition) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = nd(rng);
    return v;
  };
  const Matrix wq = random(H * D * C), wk = random(KVH * D * C), wv = random(KVH * D * C);
  Matrix wo(C * H * D, 0.0f);  // identity: the block's output is the attention itself
  for (int64_t i = 0; i < C; ++i) wo[i * C + i] = 1.0f;
  const std::vector<float> q_gamma = random(D), k_gamma = random(D), h = random(T * C);

  SelfAttentionWeights w;
  w.q = {wq.data(), nullptr, C, H * D};
  w.k = {wk.data(), nullptr, C, KVH * D};
  w.v = {wv.data(), nullptr, C, KVH * D};
  w.o = {wo.data(), nullptr, H * D, C};
  w.q_norm = q_gamma.data();
  w.k_norm = k_gamma.data();
  w.qk_norm_eps = kEps;
  RopeParams rp;
  rp.head_dim = rp.rotary_dim = D;
  const Rope rope(rp);
  SelfAttentionOptions opt;
  opt.shape = AttentionShape{H, KVH, D, 0.7f, true};
  opt.shape.window = kWindow;
  opt.rope = 0;

  KVCache cache(1, KVH * D);
  const std::vector<int32_t> ids(T, 0);
  DecodeChunk chunk{&cache, ids, {}};
  const DecoderRows rows(std::span(&chunk, 1), KVH * D, {&rope});
  std::vector<float> x(T * C, 0.0f);
  self_attention_block(0, rows, w, opt, h.data(), x.data());

  std::vector<std::vector<double>> q(T), k(T), v(T);
  for (int64_t t = 0; t < T; ++t) {
    q[t] = project(wq, &h[t * C], H * D);
    k[t] = project(wk, &h[t * C], KVH * D);
    v[t] = project(wv, &h[t * C], KVH * D);
    norm_and_rotate(q[t], H, q_gamma, t);
    norm_and_rotate(k[t], KVH, k_gamma, t);
  }
  for (int64_t t = 0; t < T; ++t)
    for (int64_t hd = 0; hd < H; ++hd) {
      std::vector<double> out(D, 0.0), p;
      double sum = 0;
      for (int64_t j = std::max<int64_t>(0, t - kWindow + 1); j <= t; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < D; ++i) dot += q[t][hd * D + i] * k[j][i];  // one kv head for both
        p.push_back(std::exp(dot * 0.7));
        sum += p.back();
      }
      for (size_t n = 0; n < p.size(); ++n)
        for (int64_t i = 0; i < D; ++i) out[i] += p[n] / sum * v[std::max<int64_t>(0, t - kWindow + 1) + n][i];
      for (int64_t i = 0; i < D; ++i) EXPECT_NEAR(x[t * C + hd * D + i], out[i], 1e-4) << t << " " << hd << " " << i;
    }
}

}  // namespace
}  // namespace tokprob
