// The attention kernel's sliding window and soft-capping against a softmax computed here in double,
// key by key, from the definitions (window: keys p - window + 1 .. p, or not causal
// p - window + 1 .. p + window - 1; cap: tanh(s / cap) * cap).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/attention.hpp"
#include "kernels/forced_isa.hpp"

namespace tokprob {
namespace {

struct Case {
  int64_t heads = 2, kv_heads = 1, d = 4, n_ctx = 9, n_new = 3, first_pos = 6, window = 0;
  float softcap = 0, scale = 0.5f;
  bool causal = true, bias = false;
};

// The bias of a case: [heads, n_new, n_ctx], drawn.
std::vector<float> bias_of(const Case& c) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> b(c.heads * c.n_new * c.n_ctx);
  for (float& x : b) x = nd(rng);
  return b;
}

// Reference output [n_new, heads*d] in double.
std::vector<double> reference(const Case& c, const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v) {
  const int64_t QD = c.heads * c.d, KD = c.kv_heads * c.d, group = c.heads / c.kv_heads;
  std::vector<double> out(c.n_new * QD, 0.0);
  for (int64_t h = 0; h < c.heads; ++h)
    for (int64_t i = 0; i < c.n_new; ++i) {
      const int64_t pos = c.first_pos + i;
      std::vector<double> w(c.n_ctx, 0.0);
      double sum = 0;
      const std::vector<float> bias = c.bias ? bias_of(c) : std::vector<float>();
      for (int64_t j = 0; j < c.n_ctx; ++j) {
        if (c.causal && j > pos) continue;
        if (c.window > 0 && (j <= pos - c.window || j >= pos + c.window)) continue;
        double dot = 0;
        for (int64_t x = 0; x < c.d; ++x) dot += double(q[i * QD + h * c.d + x]) * k[j * KD + (h / group) * c.d + x];
        double s = dot * c.scale;
        if (c.softcap > 0) s = std::tanh(s / c.softcap) * c.softcap;
        if (c.bias) s += bias[(h * c.n_new + i) * c.n_ctx + j];
        w[j] = std::exp(s);
        sum += w[j];
      }
      for (int64_t j = 0; j < c.n_ctx; ++j)
        for (int64_t x = 0; x < c.d; ++x) out[i * QD + h * c.d + x] += w[j] / sum * v[j * KD + (h / group) * c.d + x];
    }
  return out;
}

void check(const Case& c) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  const int64_t QD = c.heads * c.d, KD = c.kv_heads * c.d;
  std::vector<float> q(c.n_new * QD), k(c.n_ctx * KD), v(c.n_ctx * KD), out(c.n_new * QD);
  for (auto* t : {&q, &k, &v})
    for (float& x : *t) x = nd(rng);
  AttentionShape shape{c.heads, c.kv_heads, c.d, c.scale, c.causal};
  shape.window = c.window;
  shape.softcap = c.softcap;
  const std::vector<float> bias = c.bias ? bias_of(c) : std::vector<float>();
  const auto want = reference(c, q, k, v);
  for (Isa isa : supported_isas()) {
    ForcedIsa forced(isa);
    attention(q.data(), QD, k.data(), v.data(), KD, c.n_ctx, c.n_new, c.first_pos, shape, out.data(), QD,
              c.bias ? bias.data() : nullptr);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], want[i], 1e-5) << i << " " << isa_name(isa);
  }
}

TEST(Attention, CausalGqaMatchesDefinition) { check(Case{}); }

TEST(Attention, SlidingWindowSeesTheLastWindowKeysIncludingItsOwn) {
  for (int64_t window : {1, 2, 4, 8, 20}) {
    Case c;
    c.window = window;
    check(c);
  }
}

TEST(Attention, BidirectionalWindowSeesKeysOnBothSides) {
  for (int64_t window : {1, 2, 4, 8, 20}) {
    Case c;
    c.causal = false;
    c.n_new = c.n_ctx;
    c.first_pos = 0;
    c.window = window;
    check(c);
  }
}

TEST(Attention, SoftCapBoundsScoresWithTanh) {
  Case c;
  c.softcap = 1.5f;
  c.scale = 2.0f;  // scores well past the cap
  check(c);
  c.window = 3;
  check(c);
}

// A prompt of many query blocks (not a multiple of the block), heads of a size that is not a
// multiple of the vector width, a long context: every task split and remainder path.
TEST(Attention, LongPromptsInQueryBlocksMatchDefinition) {
  Case c;
  c.heads = 4;
  c.kv_heads = 2;
  c.d = 20;
  c.n_ctx = 75;
  c.n_new = 70;
  c.first_pos = 5;
  c.scale = 0.3f;
  check(c);
  c.d = 64;
  c.window = 17;
  check(c);
}

TEST(Attention, BidirectionalWithABiasMatchesDefinition) {
  Case c;
  c.heads = 3;
  c.kv_heads = 3;
  c.d = 16;
  c.n_ctx = 41;
  c.n_new = 41;
  c.first_pos = 0;
  c.causal = false;
  c.bias = true;
  check(c);
}

}  // namespace
}  // namespace tokprob
