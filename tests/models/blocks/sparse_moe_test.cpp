// The mixture-of-experts block against its definition computed here in double: softmax of the
// router logits, the top k, their probabilities renormalised or not, and the sum of the chosen
// experts' SwiGLU outputs so weighted, added to x.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "models/blocks/sparse_moe.hpp"

namespace tokprob {
namespace {

constexpr int64_t C = 4, F = 5, T = 6, E = 4;

TEST(SparseMoe, RoutesToTheMostProbableExpertsBestFirst) {
  // softmax(0, ln 2, ln 4, ln 1) = (1, 2, 4, 1) / 8
  const float logits[] = {0.0f, std::log(2.0f), std::log(4.0f), 0.0f};
  const Routing kept = route(logits, 4, 2, false);
  ASSERT_EQ(kept.experts, (std::vector<int64_t>{2, 1}));
  EXPECT_NEAR(kept.weights[0], 4.0 / 8, 1e-6);
  EXPECT_NEAR(kept.weights[1], 2.0 / 8, 1e-6);
  const Routing renormalised = route(logits, 4, 2, true);
  EXPECT_NEAR(renormalised.weights[0], 2.0 / 3, 1e-6);
  EXPECT_NEAR(renormalised.weights[1], 1.0 / 3, 1e-6);
  // Equal probabilities: the lower index first.
  EXPECT_EQ(route(logits, 4, 3, false).experts, (std::vector<int64_t>{2, 1, 0}));
}

double silu(double x) { return x / (1 + std::exp(-x)); }

void check(int64_t top_k, bool normalize) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = nd(rng);
    return v;
  };
  const auto router = random(E * C), h = random(T * C), x0 = random(T * C);
  std::vector<std::vector<float>> gate, up, down;
  SparseMoeWeights w;
  w.top_k = top_k;
  w.normalize_top_k = normalize;
  w.router = {router.data(), nullptr, C, E};
  for (int64_t e = 0; e < E; ++e) {
    gate.push_back(random(F * C));
    up.push_back(random(F * C));
    down.push_back(random(C * F));
  }
  for (int64_t e = 0; e < E; ++e) {
    FeedForwardWeights f;
    f.gated = true;
    f.act = Activation::silu;
    f.inner = F;
    f.gate = {gate[e].data(), nullptr, C, F};
    f.up = {up[e].data(), nullptr, C, F};
    f.down = {down[e].data(), nullptr, F, C};
    w.experts.push_back(f);
  }
  auto x = x0;
  sparse_moe_block(w, h.data(), T, C, x.data());
  for (int64_t t = 0; t < T; ++t) {
    std::vector<double> p(E);
    for (int64_t e = 0; e < E; ++e)
      for (int64_t c = 0; c < C; ++c) p[e] += double(router[e * C + c]) * h[t * C + c];
    const double m = *std::max_element(p.begin(), p.end());
    double sum = 0;
    for (double& v : p) sum += (v = std::exp(v - m));
    for (double& v : p) v /= sum;
    std::vector<int64_t> order(E);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    double kept = 0;
    for (int64_t k = 0; k < top_k; ++k) kept += p[order[k]];
    for (int64_t c = 0; c < C; ++c) {
      double want = x0[t * C + c];
      for (int64_t k = 0; k < top_k; ++k) {
        const int64_t e = order[k];
        double y = 0;
        for (int64_t f = 0; f < F; ++f) {
          double g = 0, u = 0;
          for (int64_t i = 0; i < C; ++i) {
            g += double(gate[e][f * C + i]) * h[t * C + i];
            u += double(up[e][f * C + i]) * h[t * C + i];
          }
          y += double(down[e][c * F + f]) * silu(g) * u;
        }
        want += y * p[e] / (normalize ? kept : 1.0);
      }
      EXPECT_NEAR(x[t * C + c], want, 1e-4 * std::max(1.0, std::abs(want))) << "row " << t << " col " << c;
    }
  }
}

TEST(SparseMoe, SumsTheChosenExpertsRenormalised) { check(2, true); }
TEST(SparseMoe, SumsTheChosenExpertsAsRouted) { check(2, false); }
TEST(SparseMoe, OneExpertPerRow) { check(1, false); }
TEST(SparseMoe, EveryExpert) { check(E, true); }

}  // namespace
}  // namespace tokprob
