// Probabilities from one row of logits: log-sum-exp, ranks, and rows that have none.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

TEST(Distribution, ProbabilitiesAreTheSoftmax) {
  const std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f};
  const Distribution d(logits);
  double z = 0;
  for (float v : logits) z += std::exp(static_cast<double>(v));
  for (int32_t i = 0; i < 4; ++i) EXPECT_NEAR(d.prob(i), std::exp(static_cast<double>(logits[i])) / z, 1e-12);
  const auto top = d.top_k(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 1);  // equal logits: the lower id first
  EXPECT_EQ(top[1].id, 3);
  EXPECT_EQ(d.rank(2), 4);
}

TEST(Distribution, MaskedTokensHaveProbabilityZero) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> logits = {0.0f, -inf, 0.0f};
  const Distribution d(logits);
  EXPECT_NEAR(d.prob(0), 0.5, 1e-12);
  EXPECT_EQ(d.prob(1), 0.0);
}

// NaN or +inf logits come from a broken model; they must not turn into printed probabilities.
TEST(Distribution, NanOrInfiniteLogitsAreAnError) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const std::vector<float> logits = {0.5f, bad, 1.0f};
    try {
      const Distribution d(logits);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("NaN or infinity"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tokprob
