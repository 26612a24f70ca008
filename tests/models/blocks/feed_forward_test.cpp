// The feed-forward block's variants against the definitions computed here in double:
// down(act(up h)) (GELU, ReLU) and down(act(gate h) * up h) (SwiGLU, GeGLU), added to x.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/blocks/feed_forward.hpp"

namespace tokprob {
namespace {

constexpr int64_t C = 4, F = 6, T = 3;

double act_of(Activation a, double x) {
  switch (a) {
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::silu: return x / (1 + std::exp(-x));
    case Activation::gelu_erf: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::gelu_tanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    default: ADD_FAILURE() << "activation not covered here"; return 0;
  }
}

void check(bool gated, Activation act) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = nd(rng);
    return v;
  };
  const auto up = random(F * C), gate = random(F * C), down = random(C * F), h = random(T * C), x0 = random(T * C);
  FeedForwardWeights w;
  w.gated = gated;
  w.act = act;
  w.inner = F;
  w.up = {up.data(), nullptr, C, F};
  w.gate = {gate.data(), nullptr, C, F};
  w.down = {down.data(), nullptr, F, C};
  auto x = x0;
  feed_forward_block(w, h.data(), T, x.data());
  for (int64_t t = 0; t < T; ++t) {
    std::vector<double> inner(F);
    for (int64_t f = 0; f < F; ++f) {
      double u = 0, g = 0;
      for (int64_t c = 0; c < C; ++c) {
        u += double(up[f * C + c]) * h[t * C + c];
        g += double(gate[f * C + c]) * h[t * C + c];
      }
      inner[f] = gated ? act_of(act, g) * u : act_of(act, u);
    }
    for (int64_t c = 0; c < C; ++c) {
      double y = x0[t * C + c];
      for (int64_t f = 0; f < F; ++f) y += double(down[c * F + f]) * inner[f];
      EXPECT_NEAR(x[t * C + c], y, 1e-4) << "gated " << gated << " row " << t << " col " << c;
    }
  }
}

TEST(FeedForwardBlock, PlainGeluAndRelu) {
  check(false, Activation::gelu_tanh);
  check(false, Activation::relu);
}

TEST(FeedForwardBlock, GatedSwiGluAndGeGlu) {
  check(true, Activation::silu);
  check(true, Activation::gelu_tanh);
  check(true, Activation::gelu_erf);
}

}  // namespace
}  // namespace tokprob
