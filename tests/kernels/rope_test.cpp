// RoPE layouts and partial rotary against rotations computed here in double from the formula
// x' = (a cos t - b sin t, b cos t + a sin t), t = position * theta^(-2j / rotary_dim).
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/rope.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

// One head of head_dim 8 with rotary_dim 4 at position 5, rotated with `layout`; returns the head.
std::vector<float> rotated(RopeLayout layout) {
  RopeParams p;
  p.head_dim = 8;
  p.rotary_dim = 4;
  p.theta = 100.0;
  p.layout = layout;
  const Rope rope(p);
  std::vector<float> x = {0.5f, -1.25f, 2.0f, 0.75f, 3.0f, -4.0f, 5.5f, 6.0f};
  std::vector<float> c(rope.pairs()), s(rope.pairs());
  rope.angles(5, rope.inv_freq(6), c.data(), s.data());
  rope.rotate(x.data(), 1, c.data(), s.data());
  return x;
}

// The pair (a, b) turned by pair j's angle at position 5 (rotary_dim 4, theta 100).
std::pair<double, double> turned(double a, double b, int j) {
  const double t = 5.0 * std::pow(100.0, -2.0 * j / 4.0);
  return {a * std::cos(t) - b * std::sin(t), b * std::cos(t) + a * std::sin(t)};
}

TEST(Rope, PartialHalfSplitRotatesPairsJAndJPlusHalfOfTheRotaryPart) {
  const auto x = rotated(RopeLayout::half_split);
  const auto [a0, b0] = turned(0.5, 2.0, 0);
  const auto [a1, b1] = turned(-1.25, 0.75, 1);
  EXPECT_NEAR(x[0], a0, 1e-5);
  EXPECT_NEAR(x[2], b0, 1e-5);
  EXPECT_NEAR(x[1], a1, 1e-5);
  EXPECT_NEAR(x[3], b1, 1e-5);
  EXPECT_EQ(x[4], 3.0f);  // past rotary_dim: untouched
  EXPECT_EQ(x[5], -4.0f);
  EXPECT_EQ(x[6], 5.5f);
  EXPECT_EQ(x[7], 6.0f);
}

TEST(Rope, PartialInterleavedRotatesNeighbouringPairs) {
  const auto x = rotated(RopeLayout::interleaved);
  const auto [a0, b0] = turned(0.5, -1.25, 0);
  const auto [a1, b1] = turned(2.0, 0.75, 1);
  EXPECT_NEAR(x[0], a0, 1e-5);
  EXPECT_NEAR(x[1], b0, 1e-5);
  EXPECT_NEAR(x[2], a1, 1e-5);
  EXPECT_NEAR(x[3], b1, 1e-5);
  EXPECT_EQ(x[4], 3.0f);
  EXPECT_EQ(x[7], 6.0f);
}

TEST(Rope, EveryHeadOfARowTurnsAlike) {
  RopeParams p;
  p.head_dim = p.rotary_dim = 4;
  const Rope rope(p);
  std::vector<float> x = {1, 2, 3, 4, 1, 2, 3, 4}, c(2), s(2);
  rope.angles(3, rope.inv_freq(4), c.data(), s.data());
  rope.rotate(x.data(), 2, c.data(), s.data());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(x[i], x[i + 4]);
  EXPECT_NE(x[0], 1.0f);
}

TEST(Rope, RefusesOddOrOversizedRotaryDimAndBadLongropeLists) {
  RopeParams p;
  p.head_dim = 8;
  p.rotary_dim = 3;
  EXPECT_THROW(Rope{p}, Error);
  p.rotary_dim = 10;
  EXPECT_THROW(Rope{p}, Error);
  p.rotary_dim = 8;
  p.factor = 1e300;  // past float's range, where the float32 formulas cannot go
  EXPECT_THROW(Rope{p}, Error);
  p.factor = 1.0;
  p.theta = 1e300;
  EXPECT_THROW(Rope{p}, Error);
  p.theta = 10000.0;
  p.scaling = RopeScaling::longrope;
  p.original_max_positions = 16;
  p.short_factor = {1, 1, 1, 1};
  p.long_factor = {1, 1, 1};
  EXPECT_THROW(Rope{p}, Error);
}

}  // namespace
}  // namespace tokprob
