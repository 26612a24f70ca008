// Marian's position table against its closed form: position 0 is sin 0 = 0 then cos 0 = 1; the
// first sine and cosine columns have frequency 1; the last sine column of an odd width has its own
// frequency and no cosine partner.
#include "models/blocks/sinusoidal_positions.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace tokprob {
namespace {

TEST(SinusoidalPositions, HalfSplitTableMatchesItsClosedForm) {
  for (const int64_t dim : {4, 5, 8}) {
    const int64_t positions = 7, sines = (dim + 1) / 2;
    const auto t = half_split_sinusoidal_positions(positions, dim);
    ASSERT_EQ(t.size(), static_cast<size_t>(positions * dim));
    for (int64_t k = 0; k < dim; ++k) EXPECT_EQ(t[k], k < sines ? 0.0f : 1.0f) << "dim " << dim << " column " << k;
    for (int64_t p = 0; p < positions; ++p) {
      EXPECT_EQ(t[p * dim], static_cast<float>(std::sin(static_cast<double>(p))));
      EXPECT_EQ(t[p * dim + sines], static_cast<float>(std::cos(static_cast<double>(p))));
      // The last sine column: j = 2 * (sines - 1), frequency 10000^-(j / dim).
      const double f = std::pow(10000.0, -static_cast<double>(2 * (sines - 1)) / static_cast<double>(dim));
      EXPECT_NEAR(t[p * dim + sines - 1], std::sin(p * f), 1e-6);
    }
  }
}

}  // namespace
}  // namespace tokprob
