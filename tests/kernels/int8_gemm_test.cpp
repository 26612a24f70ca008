// Integer products of many rows with int8 weights (kernels/int8_gemm.hpp): the quantiser's rounding,
// the kernel's exact int32 block sums and documented float steps on every variant and odd shape,
// and linear() with int8 weights against a double-precision product within a derived bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/forced_isa.hpp"
#include "kernels/int8_gemm.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "kernels/skinny_gemm.hpp"

namespace tokprob {
namespace {

std::vector<float> normal_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<int8_t> int8_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

int64_t blocks_of(int64_t in) { return (in + kInt8Block - 1) / kInt8Block; }

TEST(Int8Gemm, QuantizedRowsRoundToTheBlockScale) {
  for (int64_t in : {1, 37, 64, 150, 256}) {
    const int64_t rows = 5, blocks = blocks_of(in);
    auto x = normal_vector(rows * in, 1, 3.0f);
    for (int64_t k = 0; k < std::min<int64_t>(in, kInt8Block); ++k) x[1 * in + k] = 0.0f;  // an all-zero block
    x[2 * in + in - 1] = std::numeric_limits<float>::quiet_NaN();                          // a NaN in the last block
    x[3 * in] = -std::numeric_limits<float>::infinity();
    x[4 * in] = 1e-44f;  // a largest magnitude so small that its scale underflows to 0
    for (int64_t k = 1; k < std::min<int64_t>(in, kInt8Block); ++k) x[4 * in + k] = 0.0f;
    std::vector<Int8Rows> by_isa;
    for (Isa isa : supported_isas()) {
      const ForcedIsa forced(isa);
      Int8Rows q;
      quantize_rows_int8(x.data(), rows, in, q);
      ASSERT_EQ(q.stride, blocks * kInt8Block);
      ASSERT_EQ(q.blocks, blocks);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t b = 0; b < blocks; ++b) {
          const int64_t k0 = b * kInt8Block, k1 = std::min(in, k0 + kInt8Block);
          float largest = 0;
          bool finite = true;
          for (int64_t k = k0; k < k1; ++k) {
            finite = finite && std::isfinite(x[r * in + k]);
            largest = std::max(largest, std::abs(x[r * in + k]));
          }
          const float scale = q.scales[r * blocks + b];
          for (int64_t k = k0; k < k0 + kInt8Block; ++k) {
            const int v = q.q[r * q.stride + k];
            ASSERT_LE(std::abs(v), 127);
            if (k >= k1 || !finite || !(scale > 0)) {
              ASSERT_EQ(v, 0) << "row " << r << " k " << k;
              continue;
            }
            // Within half a step (and the division's rounding) of the value; the largest is ±127.
            ASSERT_LE(std::abs(v * double(scale) - x[r * in + k]), 0.5 * scale * (1 + 1e-5)) << r << " " << k;
            if (std::abs(x[r * in + k]) == largest) {
              ASSERT_EQ(std::abs(v), 127);
            }
          }
          if (!finite)
            EXPECT_TRUE(std::isnan(scale));
          else
            EXPECT_EQ(scale, largest / 127.0f);
        }
      by_isa.push_back(std::move(q));
    }
    for (const Int8Rows& q : by_isa) EXPECT_EQ(q.q, by_isa.front().q) << "in " << in;
  }
}

// The kernel on activations and weights made here (the quantiser aside): each output must be the
// header's float steps over the exact integer block sums, bit for bit, whatever the shape.
TEST(Int8Gemm, ExactIntegerSumsAndTheDocumentedFloatSteps) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {3, 5}, {37, 19}, {64, 16}, {70, 33}, {129, 40}, {150, 67}};
  uint32_t seed = 10;
  for (auto [in, out] : shapes)
    for (int64_t rows : {1, 2, 3, 4, 5, 9, 13}) {
      const int64_t blocks = blocks_of(in);
      Int8Rows x;
      x.rows = rows;
      x.in = in;
      x.blocks = blocks;
      x.stride = blocks * kInt8Block;
      x.q = int8_vector(static_cast<size_t>(rows * x.stride), ++seed);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = in; k < x.stride; ++k) x.q[r * x.stride + k] = 0;
      // Extremes: a row of +127 and one of -127 against weights of ±127 reach the largest block sums
      // (64 · 127 · 127), where a saturating 16-bit step would show.
      for (int64_t k = 0; k < in; ++k) x.q[k] = 127;
      if (rows > 2)
        for (int64_t k = 0; k < in; ++k) x.q[2 * x.stride + k] = -127;
      auto xs = normal_vector(static_cast<size_t>(rows * blocks), ++seed);
      for (auto& s : xs) s = std::abs(s) * 0.01f;
      x.scales = xs;
      auto q = int8_vector(static_cast<size_t>(out * in), ++seed);
      for (int64_t k = 0; k < in; ++k) q[k] = 127;
      if (out > 1)
        for (int64_t k = 0; k < in; ++k) q[in + k] = -127;
      auto ws = normal_vector(static_cast<size_t>(out * blocks), ++seed);
      for (auto& s : ws) s = std::abs(s) * 0.001f;
      LinearWeights w;
      w.in = in;
      w.out = out;
      w.format = WeightFormat::int8;
      w.packed = q.data();
      w.scales = ws.data();
      const int64_t o_begin = out > 1 ? 1 : 0;  // an output range not starting at a panel boundary
      for (bool accumulate : {false, true}) {
        const auto y0 = normal_vector(static_cast<size_t>(rows * out), ++seed);
        std::vector<float> want = y0;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = o_begin; o < out; ++o) {
            float c = accumulate ? y0[r * out + o] : 0.0f;
            for (int64_t b = 0; b < blocks; ++b) {
              int64_t sum = 0;
              for (int64_t k = b * kInt8Block; k < std::min(in, (b + 1) * kInt8Block); ++k)
                sum += int64_t{x.q[r * x.stride + k]} * q[o * in + k];
              ASSERT_LE(std::abs(sum), int64_t{std::numeric_limits<int32_t>::max()});
              c = std::fma(static_cast<float>(sum), xs[r * blocks + b] * ws[o * blocks + b], c);
            }
            want[r * out + o] = c;
          }
        for (Isa isa : supported_isas()) {
          const ForcedIsa forced(isa);
          std::vector<float> y = y0;
          int8_gemm(x, w, o_begin, out, y.data(), accumulate);
          for (int64_t i = 0; i < rows * out; ++i)
            ASSERT_EQ(y[i], want[i]) << isa_name(isa) << " in " << in << " out " << out << " rows " << rows << " at "
                                     << i << (accumulate ? " accumulating" : "");
        }
      }
    }
}

struct Threads {
  explicit Threads(int n) : before(num_threads()) { set_num_threads(n); }
  ~Threads() { set_num_threads(before); }
  int before;
};

// linear() with int8 weights and more rows than the few-row kernels take, on 1 and 2 threads:
// within the error the quantised activations allow of the double-precision product of the
// activations with the dequantised weights, and the same bits whatever the thread count.
//
// The bound: each activation is off by at most half its block's step s (|x - q·s| <= s/2, plus
// the division's rounding), which moves an output by at most Σ_k |w_k| · s_b / 2; the float steps
// round each block's integer sum, its scale product and its fused add once (2^-24 each, relative),
// so over B blocks they add at most (B + 3) · 2^-24 · Σ_k |q_k s_b w_k|; the bias and the
// accumulated value one more rounding of the output.
TEST(Int8Gemm, LinearWithManyRowsWithinTheQuantisationBound) {
  struct IntegerProducts {
    Int8Products before = int8_products();
    IntegerProducts() { set_int8_products(Int8Products::integer); }
    ~IntegerProducts() { set_int8_products(before); }
  } integer_products;
  // 300 outputs: more column blocks than one thread takes, so that two threads share the work.
  const std::pair<int64_t, int64_t> shapes[] = {{37, 19}, {70, 101}, {150, 67}, {256, 96}, {96, 300}};
  for (const auto& shape : shapes) {
    const int64_t in = shape.first, out = shape.second;
    const auto wf = normal_vector(static_cast<size_t>(in * out), 3, 0.1f), bias = normal_vector(out, 4);
    LinearPacker packer(WeightFormat::int8);
    LinearWeights p = packer.pack({wf.data(), nullptr, in, out, false}, "w");
    p.b = bias.data();
    const int64_t blocks = blocks_of(in);
    auto dequantised = [&](int64_t o, int64_t k) {
      return static_cast<const int8_t*>(p.packed)[o * in + k] * double(p.scales[o * blocks + k / kInt8Block]);
    };
    for (int64_t rows : {kSkinnyMaxRows + 1, int64_t{40}})
      for (bool accumulate : {false, true}) {
        const auto x = normal_vector(static_cast<size_t>(rows * in), 5), y0 = normal_vector(rows * out, 6);
        std::vector<float> first;
        for (Isa isa : supported_isas())
          for (int threads : {1, 2}) {
            const ForcedIsa forced(isa);
            const Threads pool(threads);
            std::vector<float> y = y0;
            linear(x.data(), rows, p, y.data(), accumulate);
            if (first.empty()) first = y;
            EXPECT_EQ(y, first) << isa_name(isa) << " threads " << threads;
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t o = 0; o < out; ++o) {
                double exact = bias[o] + (accumulate ? y0[r * out + o] : 0.0), quantisation = 0, magnitude = 0;
                for (int64_t b = 0; b < blocks; ++b) {
                  double largest = 0;
                  for (int64_t k = b * kInt8Block; k < std::min(in, (b + 1) * kInt8Block); ++k)
                    largest = std::max(largest, std::abs(double(x[r * in + k])));
                  const double step = largest / 127;
                  for (int64_t k = b * kInt8Block; k < std::min(in, (b + 1) * kInt8Block); ++k) {
                    exact += x[r * in + k] * dequantised(o, k);
                    quantisation += std::abs(dequantised(o, k)) * step / 2 * (1 + 1e-5);
                    magnitude += (std::abs(double(x[r * in + k])) + step) * std::abs(dequantised(o, k));
                  }
                }
                const double rounding = (blocks + 3) * std::ldexp(magnitude, -24) +
                                        std::ldexp(std::abs(exact) + quantisation + magnitude, -23);
                ASSERT_NEAR(y[r * out + o], exact, quantisation + rounding)
                    << "in " << in << " rows " << rows << " row " << r << " out " << o;
              }
          }
      }
  }
}

// The widened products (fp32 activations) are the default and give the fp32 product of the
// dequantised weights; the integer products are selectable and differ from them.
TEST(Int8Gemm, IntegerProductsAreSelectable) {
  const int64_t in = 70, out = 33, rows = 12;
  const auto wf = normal_vector(static_cast<size_t>(in * out), 7, 0.1f), x = normal_vector(rows * in, 8);
  LinearPacker packer(WeightFormat::int8);
  const LinearWeights p = packer.pack({wf.data(), nullptr, in, out, false}, "w");
  ASSERT_EQ(int8_products(), Int8Products::widened);
  std::vector<float> integer(rows * out), widened(rows * out);
  linear(x.data(), rows, p, widened.data());
  set_int8_products(Int8Products::integer);
  linear(x.data(), rows, p, integer.data());
  set_int8_products(Int8Products::widened);
  const int64_t blocks = blocks_of(in);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double exact = 0;
      for (int64_t k = 0; k < in; ++k)
        exact += x[r * in + k] * (static_cast<const int8_t*>(p.packed)[o * in + k] *
                                  double(p.scales[o * blocks + k / kInt8Block]));
      EXPECT_NEAR(widened[r * out + o], exact, 1e-4 * (1 + std::abs(exact)));
    }
  EXPECT_NE(integer, widened);
}

}  // namespace
}  // namespace tokprob
