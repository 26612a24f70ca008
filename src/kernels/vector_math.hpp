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

// erf via Abramowitz & Stegun 7.1.26 refined: max abs error ~1.5e-7.
inline float erf(float x) {
  const float ax = x < 0 ? -x : x;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float y = 1.061405429f;
  y = y * t - 1.453152027f;
  y = y * t + 1.421413741f;
  y = y * t - 0.284496736f;
  y = y * t + 0.254829592f;
  y = 1.0f - y * t * exp(-ax * ax);
  return x < 0 ? -y : y;
}

}  // namespace tokprob::vmath
