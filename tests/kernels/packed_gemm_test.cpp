// Reduced-precision weights: the packer's conversion (bf16, f16, int8 with per-block scales, both
// stored layouts), and linear() on packed weights for every instruction-set variant against a
// double-precision product with the same widened weights.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <random>
#include <vector>

#include "kernels/forced_isa.hpp"
#include "kernels/half_float.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "kernels/packed_gemm.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Weight (o, k) of a packed matrix as the kernels must see it, widened by the scalar converters.
double widened(const LinearWeights& p, int64_t o, int64_t k) {
  const int64_t i = o * p.in + k;
  switch (p.format) {
    case WeightFormat::bf16: return bf16_to_f32(static_cast<const uint16_t*>(p.packed)[i]);
    case WeightFormat::f16: return f16_to_f32(static_cast<const uint16_t*>(p.packed)[i]);
    case WeightFormat::int8: {
      const int64_t blocks = (p.in + kInt8Block - 1) / kInt8Block;
      return static_cast<const int8_t*>(p.packed)[i] * double(p.scales[o * blocks + k / kInt8Block]);
    }
    case WeightFormat::f32: break;
  }
  return 0;
}

const WeightFormat kFormats[] = {WeightFormat::bf16, WeightFormat::f16, WeightFormat::int8};

TEST(LinearPacker, ConversionErrorWithinTheFormatsPrecision) {
  const int64_t in = 150, out = 7;  // 150: two full int8 blocks and a partial one
  auto w = random_vector(in * out, 1);
  w[3] = 0.0f;
  for (int64_t k = 0; k < in; ++k) w[5 * in + k] = 0.0f;  // an all-zero row: scale 0, no division by it
  for (WeightFormat f : kFormats) {
    LinearPacker packer(f);
    const LinearWeights p = packer.pack({w.data(), nullptr, in, out, false}, "w");
    ASSERT_EQ(p.format, f);
    ASSERT_EQ(p.w, nullptr);
    EXPECT_EQ(packer.bytes(), weight_format_bytes(f, out, in));
    const int64_t blocks = (in + kInt8Block - 1) / kInt8Block;
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < in; ++k) {
        const double v = w[o * in + k], got = widened(p, o, k);
        double bound = 0;
        if (f == WeightFormat::bf16) bound = std::abs(v) * 0x1p-8;
        if (f == WeightFormat::f16) bound = std::abs(v) * 0x1p-11 + 0x1p-25;
        if (f == WeightFormat::int8) bound = p.scales[o * blocks + k / kInt8Block] * 0.5 * (1 + 1e-6);
        ASSERT_LE(std::abs(got - v), bound) << weight_format_name(f) << " o " << o << " k " << k;
      }
    if (f == WeightFormat::int8) {
      // The largest magnitude of each block maps to ±127 exactly.
      for (int64_t b = 0; b < blocks; ++b) {
        float max_abs = 0;
        for (int64_t k = b * kInt8Block; k < std::min(in, (b + 1) * kInt8Block); ++k)
          max_abs = std::max(max_abs, std::abs(w[k]));
        EXPECT_FLOAT_EQ(p.scales[b] * 127.0f, max_abs);
      }
      EXPECT_EQ(p.scales[5 * blocks], 0.0f);
    }
  }
}

TEST(LinearPacker, BothLayoutsPackToTheSameRows) {
  // Sizes around the [in, out] path's bands (64 stored rows), column chunks (256) and 4x4
  // transpose blocks; the last is large enough for the arena's mapped chunks.
  for (const auto& [in, out] : {std::pair<int64_t, int64_t>{40, 35}, {150, 301}, {67, 517}, {130, 1030}}) {
    auto w = random_vector(in * out, 2);  // [out, in]
    std::vector<float> t(in * out);       // the same matrix stored [in, out]
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < in; ++k) t[k * out + o] = w[o * in + k];
    for (WeightFormat f : kFormats) {
      LinearPacker packer(f);
      const LinearWeights a = packer.pack({w.data(), nullptr, in, out, false}, "a");
      const LinearWeights b = packer.pack({t.data(), nullptr, in, out, true}, "b");
      EXPECT_FALSE(b.stored_in_out);
      for (int64_t o = 0; o < out; ++o)
        for (int64_t k = 0; k < in; ++k)
          ASSERT_EQ(widened(a, o, k), widened(b, o, k)) << weight_format_name(f) << " " << in << "x" << out;
    }
  }
}

TEST(LinearPacker, Int8RoundsTiesToEvenAndStaysInRangeForSubnormalScales) {
  std::vector<float> w(64, 0.0f);
  w[0] = 127.0f;  // scale 1: the others are their own quantized values
  w[1] = 2.5f;
  w[2] = -3.5f;
  w[3] = 0.5f;
  LinearPacker int8(WeightFormat::int8);
  const LinearWeights p = int8.pack({w.data(), nullptr, 64, 1, false}, "w");
  const auto* q = static_cast<const int8_t*>(p.packed);
  EXPECT_EQ(p.scales[0], 1.0f);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 2);
  EXPECT_EQ(q[2], -4);
  EXPECT_EQ(q[3], 0);
  // A block of subnormals: the scale's own rounding is coarse there, yet no value may wrap.
  std::vector<float> tiny(64);
  for (int k = 0; k < 64; ++k) tiny[k] = (k % 2 ? -1.0f : 1.0f) * std::numeric_limits<float>::denorm_min() * float(190 - k);
  LinearPacker int8_tiny(WeightFormat::int8);
  const LinearWeights t = int8_tiny.pack({tiny.data(), nullptr, 64, 1, false}, "tiny");
  for (int k = 0; k < 64; ++k) {
    const int v = static_cast<const int8_t*>(t.packed)[k];
    EXPECT_LE(std::abs(v), 127);
    if (v != 0) {
      EXPECT_EQ(v > 0, tiny[k] > 0) << k;
    }
  }
}

TEST(LinearPacker, Fp32IsUntouchedAndTiedMatricesArePackedOnce) {
  auto w = random_vector(64, 3);
  LinearPacker fp32;
  const LinearWeights same = fp32.pack({w.data(), nullptr, 8, 8, false}, "w");
  EXPECT_EQ(same.w, w.data());
  EXPECT_EQ(fp32.bytes(), 0);
  LinearPacker bf16(WeightFormat::bf16);
  const LinearWeights first = bf16.pack({w.data(), nullptr, 8, 8, false}, "embed");
  const LinearWeights again = bf16.pack({w.data(), nullptr, 8, 8, false}, "lm_head");
  EXPECT_EQ(first.packed, again.packed);
  EXPECT_EQ(bf16.bytes(), 8 * 8 * 2);
}

TEST(LinearPacker, RefusesWeightsTheFormatCannotHold) {
  std::vector<float> w(32, 0.5f);
  w[7] = 1e5f;  // beyond f16's ±65504
  LinearPacker f16(WeightFormat::f16);
  try {
    f16.pack({w.data(), nullptr, 8, 4, false}, "h.0.mlp.weight");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("h.0.mlp.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos) << e.what();
  }
  LinearPacker bf16(WeightFormat::bf16);
  EXPECT_NO_THROW(bf16.pack({w.data(), nullptr, 8, 4, false}, "w"));
  w[9] = std::nanf("");
  LinearPacker int8(WeightFormat::int8);
  EXPECT_THROW(int8.pack({w.data(), nullptr, 8, 4, false}, "w"), Error);
  w[9] = -std::numeric_limits<float>::infinity();
  LinearPacker int8_inf(WeightFormat::int8);
  EXPECT_THROW(int8_inf.pack({w.data(), nullptr, 8, 4, false}, "w"), Error);
  LinearPacker f16_inf(WeightFormat::f16);
  EXPECT_THROW(f16_inf.pack({w.data(), nullptr, 8, 4, false}, "w"), Error);
}

TEST(PackedLinear, MatchesTheWidenedProductOnEveryVariant) {
  // int8 with more rows than the few-row kernels take: the widened products (the default), which
  // this bound fits; the integer products (int8 activations) are checked against their own bound
  // in tests/kernels/int8_gemm_test.cpp.
  struct WidenedInt8 {
    Int8Products before = int8_products();
    WidenedInt8() { set_int8_products(Int8Products::widened); }
    ~WidenedInt8() { set_int8_products(before); }
  } widened_int8;
  const std::pair<int64_t, int64_t> shapes[] = {{37, 19}, {70, 101}, {64, 256}, {150, 67}};
  for (WeightFormat f : kFormats)
    for (auto [in, out] : shapes) {
      auto w = random_vector(in * out, 4, 0.1f), b = random_vector(out, 5);
      LinearPacker packer(f);
      LinearWeights p = packer.pack({w.data(), nullptr, in, out, false}, "w");
      p.b = b.data();
      for (Isa isa : supported_isas())
        for (int64_t rows : {1, 2, 3, 5, 8, 9, 40})
          for (bool acc : {false, true}) {
            auto x = random_vector(rows * in, 6), y = random_vector(rows * out, 7);
            auto expected = y;
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t o = 0; o < out; ++o) {
                double s = b[o];
                for (int64_t k = 0; k < in; ++k) s += double(x[r * in + k]) * widened(p, o, k);
                expected[r * out + o] = static_cast<float>(acc ? expected[r * out + o] + s : s);
              }
            const ForcedIsa forced(isa);
            linear(x.data(), rows, p, y.data(), acc);
            for (size_t i = 0; i < y.size(); ++i)
              ASSERT_NEAR(y[i], expected[i], 1e-4 * (1 + std::abs(expected[i])))
                  << weight_format_name(f) << " " << isa_name(isa) << " in " << in << " rows " << rows;
          }
    }
}

// A NaN or an infinity among the activations (from a corrupt model) gives NaN in that row's
// outputs, as fp32 arithmetic does, and leaves the other rows alone; int8 quantises activations,
// which must never convert a NaN to an integer (UBSan checks it).
TEST(PackedLinear, NonFiniteActivationsGiveNanInTheirRowOnly) {
  const int64_t in = 70, out = 19;
  auto w = random_vector(in * out, 9, 0.1f);
  for (WeightFormat f : kFormats) {
    LinearPacker packer(f);
    const LinearWeights p = packer.pack({w.data(), nullptr, in, out, false}, "w");
    for (Isa isa : supported_isas())
      for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        const ForcedIsa forced(isa);
        const int64_t rows = 3;
        auto x = random_vector(rows * in, 10);
        x[1 * in + 66] = bad;
        std::vector<float> y(rows * out);
        linear(x.data(), rows, p, y.data(), false);
        for (int64_t o = 0; o < out; ++o) {
          EXPECT_TRUE(std::isfinite(y[o])) << weight_format_name(f) << " " << isa_name(isa);
          EXPECT_TRUE(std::isnan(y[1 * out + o]) || std::isinf(y[1 * out + o])) << weight_format_name(f) << " " << isa_name(isa);
          EXPECT_TRUE(std::isfinite(y[2 * out + o])) << weight_format_name(f) << " " << isa_name(isa);
        }
      }
  }
}

// Decoding with int8 weights quantises a few activation rows to int16 per block: a block whose
// largest magnitude is below ~1e-34 has a subnormal scale (largest / 32767) whose reciprocal
// overflows to inf, and multiplying by it turned zeros into NaN (converted to an integer) and every
// other value into ±32767. The products must stay those of the activations as they are.
TEST(PackedLinear, Int8DecodingOfTinyActivationsKeepsTheirValues) {
  const int64_t in = 150, out = 11;  // two full blocks and a partial one
  auto w = random_vector(in * out, 12);
  LinearPacker packer(WeightFormat::int8);
  const LinearWeights p = packer.pack({w.data(), nullptr, in, out, false}, "w");
  for (Isa isa : supported_isas())
    for (float largest : {5e-35f, 1e-35f}) {
      const ForcedIsa forced(isa);
      const int64_t rows = 2;
      // One value per block at `largest`, the others a hundredth of it or zero.
      auto x = random_vector(rows * in, 13, largest / 100);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < in; k += kInt8Block) {
          x[r * in + k] = largest;
          x[r * in + k + 1] = 0.0f;
        }
      std::vector<float> y(rows * out);
      linear(x.data(), rows, p, y.data(), false);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
          double expected = 0, magnitude = 0;
          for (int64_t k = 0; k < in; ++k) {
            expected += double(x[r * in + k]) * widened(p, o, k);
            magnitude += std::abs(double(x[r * in + k]) * widened(p, o, k));
          }
          // The int16 steps of the activations are 1/32767 of the block's largest, and the
          // product of the two scales is subnormal: a few parts in a thousand of the magnitude.
          ASSERT_NEAR(y[r * out + o], expected, 1e-2 * magnitude)
              << "largest " << largest << " on " << isa_name(isa) << " row " << r << " output " << o;
        }
    }
}

TEST(PackedLinear, WidenRowsGivesTheWeightsAsFp32) {
  const int64_t in = 83, out = 9;
  auto w = random_vector(in * out, 8);
  for (WeightFormat f : kFormats) {
    LinearPacker packer(f);
    const LinearWeights p = packer.pack({w.data(), nullptr, in, out, false}, "w");
    for (Isa isa : supported_isas()) {
      const ForcedIsa forced(isa);
      std::vector<float> rows((out - 2) * in);
      widen_rows(p, 2, out, rows.data());
      for (int64_t o = 2; o < out; ++o)
        for (int64_t k = 0; k < in; ++k)
          ASSERT_FLOAT_EQ(rows[(o - 2) * in + k], static_cast<float>(widened(p, o, k))) << isa_name(isa);
    }
  }
}

TEST(PackedLinear, NarrowToF16MatchesTheScalarConversionOnEveryVariant) {
  // Normals, halves' subnormals, values that round up to the next binade or overflow to inf.
  std::vector<float> v = random_vector(1000, 9, 100.0f);
  for (float x : {0.0f, -0.0f, 1e-8f, -3e-6f, 6.1e-5f, 65504.0f, 65519.0f, 65520.0f, -1e6f, 0.1f, 2049.0f})
    v.push_back(x);
  for (Isa isa : supported_isas()) {
    const ForcedIsa forced(isa);
    std::vector<uint16_t> out(v.size());
    narrow_to_f16(v.data(), static_cast<int64_t>(v.size()), out.data());
    for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(out[i], f32_to_f16(v[i])) << v[i] << " on " << isa_name(isa);
  }
}

TEST(WeightFormat, NamesParseAndBadOnesAreUsageErrors) {
  EXPECT_EQ(parse_weight_format("fp32"), WeightFormat::f32);
  EXPECT_EQ(parse_weight_format("bfloat16"), WeightFormat::bf16);
  EXPECT_EQ(parse_weight_format("fp16"), WeightFormat::f16);
  EXPECT_EQ(parse_weight_format("int8"), WeightFormat::int8);
  try {
    parse_weight_format("int4");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find("int4"), std::string::npos);
  }
  EXPECT_EQ(weight_format_bytes(WeightFormat::int8, 2, 65), 2 * 65 + 2 * 2 * 4);
}

TEST(CpuIsa, ForcingAVariantTheCpuLacksIsRefused) {
  EXPECT_EQ(kernel_isa(), detected_isa());
  if (detected_isa() != Isa::avx512) {
    EXPECT_THROW(force_kernel_isa(Isa::avx512), Error);
  }
  const auto all = supported_isas();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front(), Isa::portable);
  EXPECT_EQ(all.back(), detected_isa());
}

}  // namespace
}  // namespace tokprob
