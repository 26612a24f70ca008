// exp/tanh/erf in plain arithmetic that compilers vectorise (the libm calls they replace do not),
// accurate to a few float ulps: far inside the 1e-4 logits tolerance against the reference.
#pragma once

#include <bit>
#include <cstdint>

namespace tokprob::vmath {

// e^x for x in [-87, 88]; saturates outside (0 below, a large finite value above); NaN gives NaN.
inline float exp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
  // x = n ln2 + r with |r| <= ln2/2; round-to-nearest through the 1.5*2^23 trick keeps it branch-free.
  const float shifter = 12582912.0f;
  const float t = x * 1.4426950408889634f + shifter;
  const float n = t - shifter;
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  // Taylor/minimax polynomial of e^r on [-ln2/2, ln2/2], degree 6.
  float p = 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n straight from t's bits: t = 1.5 * 2^23 + n keeps n in its low mantissa bits. Unsigned
  // arithmetic, not a float-to-int cast, so that a NaN x (whose n is NaN) is defined behaviour:
  // p is NaN then, and so is the result.
  const uint32_t biased = std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(shifter) + 127u;
  const float scale = std::bit_cast<float>(biased << 23);
  return p * scale;
}

// The largest |x[k]| as its bit pattern, NaN's lying above infinity's: a result >= kNonFiniteBits
// means a NaN or an infinity is among them. An integer reduction, so that it vectorises (a float
// max reduction does not without -ffast-math).
inline constexpr uint32_t kNonFiniteBits = 0x7f800000u;
inline uint32_t max_magnitude_bits(const float* x, int64_t n) {
  uint32_t m = 0;
  for (int64_t k = 0; k < n; ++k) {
    const uint32_t b = std::bit_cast<uint32_t>(x[k]) & 0x7fffffffu;
    m = b > m ? b : m;
  }
  return m;
}

inline float tanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float e = exp(-2.0f * ax);
  const float t = (1.0f - e) / (1.0f + e);
  return x < 0 ? -t : t;
}

// erf within two float ulps, near the reference's one: Abramowitz & Stegun 7.1.26 (absolute error
// up to 6e-7 in float, ten ulps near 1) made GELU's step measurably less accurate than torch's.
// Below 1, x + x·(P(x²) - 1); from 1, 1 - e^(-x²)·Q(1/(1 + x/2)), erfc(x)·e^(x²) being smooth in
// that variable (erfc(4) is under half an ulp of 1: Q is fitted on [1, 4], the argument clamped).
// P and Q: least-squares fits in double to erf computed in 30 digits, relative error < 2e-9.
inline float erf(float x) {
  const float ax = x < 0 ? -x : x;
  const float z = ax * ax;
  float p = 7.898154581198469e-05f;
  p = p * z - 8.024338749237359e-04f;
  p = p * z + 5.190052092075348e-03f;
  p = p * z - 2.6854807510972023e-02f;
  p = p * z + 1.1283612251281738e-01f;
  p = p * z - 3.761262893676758e-01f;
  p = p * z + 1.28379225730896e-01f;
  const float small = ax + ax * p;
  const float a = ax > 4.0f ? 4.0f : ax;  // NaN stays NaN: the comparison is false
  const float t = 1.0f / (1.0f + 0.5f * a);
  float q = 1.1928059905767441e-01f;
  q = q * t - 4.7104978561401367e-01f;
  q = q * t + 5.631668567657471e-01f;
  q = q * t - 1.0361770540475845e-01f;
  q = q * t + 3.4784358739852905e-01f;
  q = q * t + 2.596667408943176e-01f;
  q = q * t + 2.849169969558716e-01f;
  q = q * t - 1.545434060972184e-04f;
  const float large = 1.0f - exp(-a * a) * q;
  const float y = ax < 1.0f ? small : large;
  return x < 0 ? -y : y;
}

}  // namespace tokprob::vmath
