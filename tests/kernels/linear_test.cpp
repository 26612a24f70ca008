// linear() in both weight layouts, one row and many, on every instruction-set variant, against a
// naive triple loop.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/linear.hpp"
#include "kernels/norms.hpp"
#include "kernels/forced_isa.hpp"

namespace tokprob {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Linear, MatchesNaiveInBothLayoutsAndRowCounts) {
  const std::pair<int64_t, int64_t> shapes[] = {{37, 19}, {70, 101}, {64, 256}};
  for (Isa isa : supported_isas())
  for (auto [in, out] : shapes)
  for (int64_t rows : {1, 2, 7, 8, 9, 33})
    for (bool in_out : {false, true})
      for (bool acc : {false, true}) {
        auto x = random_vector(rows * in, 1), w = random_vector(in * out, 2), b = random_vector(out, 3);
        auto y = random_vector(rows * out, 4);
        auto expected = y;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < out; ++o) {
            double s = b[o];
            for (int64_t i = 0; i < in; ++i) s += double(x[r * in + i]) * (in_out ? w[i * out + o] : w[o * in + i]);
            expected[r * out + o] = static_cast<float>(acc ? expected[r * out + o] + s : s);
          }
        const ForcedIsa forced(isa);
        linear(x.data(), rows, {w.data(), b.data(), in, out, in_out}, y.data(), acc);
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_NEAR(y[i], expected[i], 1e-4) << isa_name(isa) << " rows " << rows << " in_out " << in_out << " acc " << acc;
      }
}

// Relative RMS error, against sums in double, of y = x·Wᵀ + b over `draws` random products of
// `rows` rows, `in` inputs and `out` outputs.
double relative_rms_error(int64_t rows, int64_t in, int64_t out, int draws) {
  double err2 = 0, ref2 = 0;
  for (int d = 0; d < draws; ++d) {
    const auto seed = static_cast<uint32_t>(3 * d);
    const auto x = random_vector(rows * in, seed), w = random_vector(in * out, seed + 1),
               b = random_vector(out, seed + 2);
    std::vector<float> y(rows * out);
    linear(x.data(), rows, {w.data(), b.data(), in, out, false}, y.data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double s = b[o];
        for (int64_t i = 0; i < in; ++i) s += double(x[r * in + i]) * w[o * in + i];
        err2 += (y[r * out + o] - s) * (y[r * out + o] - s);
        ref2 += s * s;
      }
  }
  return std::sqrt(err2 / ref2);
}

// An 8-wide FFN of 48 inputs on 12 tokens (the differential tests' DistilBERT finding) and a
// classifier's 2 outputs over 40 sequences: torch's products round to 8.5e-8 and 7.7e-8 relative
// there (measured on such random products), OpenBLAS's long sums to 1.25e-7; the 16-lane sums to
// 8.7e-8 (AVX2) and 9.1e-8 (portable variant).
TEST(Linear, NarrowOutputsRoundAsWellAsTheReference) {
  for (Isa isa : supported_isas()) {
    const ForcedIsa forced(isa);
    EXPECT_LT(relative_rms_error(12, 48, 8, 200), 9.5e-8) << isa_name(isa);
    EXPECT_LT(relative_rms_error(40, 48, 2, 200), 9.5e-8) << isa_name(isa);  // a classifier's batch
  }
}

// A row's outputs do not depend on the rows beside it where the outputs are few and the inputs at
// least 32 (a classifier head over a batch of sequences gives each the scores it gets alone).
TEST(Linear, NarrowOutputsOfARowDoNotDependOnTheBatch) {
  const int64_t rows = 21, in = 48, out = 3;
  const auto x = random_vector(rows * in, 7), w = random_vector(in * out, 8), b = random_vector(out, 9);
  for (Isa isa : supported_isas()) {
    const ForcedIsa forced(isa);
    std::vector<float> batch(rows * out), alone(out);
    linear(x.data(), rows, {w.data(), b.data(), in, out, false}, batch.data());
    for (int64_t r = 0; r < rows; ++r) {
      linear(x.data() + r * in, 1, {w.data(), b.data(), in, out, false}, alone.data());
      for (int64_t o = 0; o < out; ++o) EXPECT_EQ(batch[r * out + o], alone[o]) << isa_name(isa) << " row " << r;
    }
  }
}

TEST(Norms, LayerNormAndRmsNorm) {
  const int64_t dim = 11;
  auto x = random_vector(2 * dim, 5), g = random_vector(dim, 6), b = random_vector(dim, 7);
  std::vector<float> y(x.size()), z(x.size());
  layer_norm(x.data(), 2, dim, g.data(), b.data(), 1e-5f, y.data());
  rms_norm(x.data(), 2, dim, g.data(), 1e-6f, z.data());
  for (int64_t r = 0; r < 2; ++r) {
    double mean = 0, var = 0, ss = 0;
    for (int64_t i = 0; i < dim; ++i) mean += x[r * dim + i];
    mean /= dim;
    for (int64_t i = 0; i < dim; ++i) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean), ss += x[r * dim + i] * x[r * dim + i];
    var /= dim;
    for (int64_t i = 0; i < dim; ++i) {
      EXPECT_NEAR(y[r * dim + i], (x[r * dim + i] - mean) / std::sqrt(var + 1e-5) * g[i] + b[i], 1e-5);
      EXPECT_NEAR(z[r * dim + i], x[r * dim + i] / std::sqrt(ss / dim + 1e-6) * g[i], 1e-5);
    }
  }
}

}  // namespace
}  // namespace tokprob
