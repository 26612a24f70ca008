// The residual layouts of pre_norm_layer (parallel as GPT-NeoX, post norms as Gemma 2) against the
// same layer composed here by hand from the separately tested blocks, and Gemma's (1 + w) RMSNorm
// against its definition.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/blocks/pre_norm_layer.hpp"
#include "models/kv_cache.hpp"

namespace tokprob {
namespace {

constexpr int64_t C = 8, H = 2, D = 4, F = 6, T = 4;

struct Layer {
  std::vector<std::vector<float>> store;
  PreNormLayer L;
  std::mt19937 rng{17};
  const float* random(size_t n) {
    std::normal_distribution<float> nd(0.0f, 0.7f);
    store.emplace_back(n);
    for (float& x : store.back()) x = nd(rng);
    return store.back().data();
  }
  Layer() {
    L.attn_norm = {NormKind::layer_norm, random(C), random(C), 1e-5f};
    L.ffn_norm = {NormKind::rms_norm, random(C), nullptr, 1e-6f};
    L.attn.q = {random(C * C), random(C), C, C};
    L.attn.k = {random(C * C), nullptr, C, C};
    L.attn.v = {random(C * C), nullptr, C, C};
    L.attn.o = {random(C * C), random(C), C, C};
    L.attn_opt.shape = AttentionShape{H, H, D, 0.5f, true};
    L.ffn = {true, Activation::silu, F, {random(F * C), nullptr, C, F}, {random(F * C), nullptr, C, F},
             {random(C * F), nullptr, F, C}};
  }
};

// Runs f(rows) on a fresh one-layer cache over T tokens.
template <class Fn>
void with_rows(Fn f) {
  KVCache cache(1, C);
  const std::vector<int32_t> ids(T, 0);
  DecodeChunk chunk{&cache, ids, {}};
  const DecoderRows rows(std::span(&chunk, 1), C, {});
  f(rows);
}

std::vector<float> attn_of(const PreNormLayer& L, const std::vector<float>& x) {
  std::vector<float> h(T * C), out(T * C, 0.0f);
  L.attn_norm.apply(x.data(), T, C, h.data());
  with_rows([&](const DecoderRows& rows) { self_attention_block(0, rows, L.attn, L.attn_opt, h.data(), out.data()); });
  return out;
}

std::vector<float> ffn_of(const PreNormLayer& L, const std::vector<float>& x) {
  std::vector<float> h(T * C), out(T * C, 0.0f);
  L.ffn_norm.apply(x.data(), T, C, h.data());
  feed_forward_block(L.ffn, h.data(), T, out.data());
  return out;
}

std::vector<float> run(const PreNormLayer& L, std::vector<float> x) {
  with_rows([&](const DecoderRows& rows) { pre_norm_layer(0, rows, L, C, x.data()); });
  return x;
}

TEST(PreNormLayer, ParallelResidualAddsBothBlocksOfTheSameInput) {
  Layer layer;
  layer.L.parallel_residual = true;
  const float* x0 = layer.random(T * C);
  const std::vector<float> x(x0, x0 + T * C);
  const auto a = attn_of(layer.L, x), f = ffn_of(layer.L, x), got = run(layer.L, x);
  for (int64_t i = 0; i < T * C; ++i) EXPECT_NEAR(got[i], x[i] + a[i] + f[i], 1e-5) << i;
}

TEST(PreNormLayer, PostNormsNormaliseEachBlockOutputBeforeTheResidual) {
  Layer layer;
  layer.L.attn_post_norm = {NormKind::rms_norm_unit_offset, layer.random(C), nullptr, 1e-6f};
  layer.L.ffn_post_norm = {NormKind::rms_norm_unit_offset, layer.random(C), nullptr, 1e-6f};
  const float* x0 = layer.random(T * C);
  const std::vector<float> x(x0, x0 + T * C);
  auto a = attn_of(layer.L, x);
  layer.L.attn_post_norm.apply(a.data(), T, C, a.data());
  std::vector<float> x1(T * C);
  for (int64_t i = 0; i < T * C; ++i) x1[i] = x[i] + a[i];
  auto f = ffn_of(layer.L, x1);
  layer.L.ffn_post_norm.apply(f.data(), T, C, f.data());
  const auto got = run(layer.L, x);
  for (int64_t i = 0; i < T * C; ++i) EXPECT_NEAR(got[i], x1[i] + f[i], 1e-5) << i;
  // And the post norms change the result: the test would not pass with them ignored.
  PreNormLayer plain = layer.L;
  plain.attn_post_norm = plain.ffn_post_norm = Norm{};
  EXPECT_NE(run(plain, x), got);
}

TEST(Norm, UnitOffsetRmsNormScalesByOnePlusWeight) {
  const std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.5f}, w = {0.0f, 0.5f, -1.0f, 2.0f};
  std::vector<float> out(4);
  Norm{NormKind::rms_norm_unit_offset, w.data(), nullptr, 1e-6f}.apply(x.data(), 1, 4, out.data());
  double ss = 0;
  for (float v : x) ss += double(v) * v;
  const double inv = 1.0 / std::sqrt(ss / 4 + 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], x[i] * inv * (1.0 + w[i]), 1e-6) << i;
}

}  // namespace
}  // namespace tokprob
