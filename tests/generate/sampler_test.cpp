// Seeded sampling draws tokens with the processed probabilities, and the same seed draws the same.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "generate/logits_processors.hpp"
#include "generate/sampler.hpp"

namespace tokprob {
namespace {

// Chi-square goodness of fit of draws from a hand-made distribution after temperature and top-k:
// fixed seed, so the test is deterministic; the bound is the 0.999 quantile for the degrees of freedom.
TEST(Sampler, DrawsWithTheProcessedProbabilities) {
  const std::vector<double> p = {0.4, 0.25, 0.2, 0.1, 0.05};
  std::vector<float> scores;
  for (double v : p) scores.push_back(static_cast<float>(std::log(v)));
  SamplingParams params;
  params.temperature = 2.0;
  params.top_k = 4;  // drops the 0.05 token
  make_logits_chain(params, true).apply(scores, {});
  std::vector<double> expected(p.size(), 0.0);
  double z = 0;
  for (size_t i = 0; i < 4; ++i) z += std::sqrt(p[i]);  // temperature 2: p^(1/2), renormalised
  for (size_t i = 0; i < 4; ++i) expected[i] = std::sqrt(p[i]) / z;

  TokenSampler sampler(1234);
  const int draws = 200000;
  std::vector<int> counts(p.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[sampler.sample(scores)];
  EXPECT_EQ(counts[4], 0);  // filtered out: never drawn
  double chi2 = 0;
  for (size_t i = 0; i < 4; ++i) {
    const double e = expected[i] * draws;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  EXPECT_LT(chi2, 16.27) << "chi-square with 3 degrees of freedom";
}

TEST(Sampler, SameSeedSameDraws) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.4f, -1.0f, 2.0f};
  TokenSampler a(42), b(42), c(43);
  std::vector<int32_t> da, db, dc;
  for (int i = 0; i < 100; ++i) {
    da.push_back(a.sample(scores));
    db.push_back(b.sample(scores));
    dc.push_back(c.sample(scores));
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(Sampler, UniformIsInUnitInterval) {
  TokenSampler s(7);
  for (int i = 0; i < 10000; ++i) {
    const double u = s.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace tokprob
