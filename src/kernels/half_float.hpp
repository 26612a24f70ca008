// Scalar conversions between fp32 and the 16-bit float formats (bf16, IEEE half), used by the
// safetensors loader and the weight packer. Rounding is to nearest, ties to even.
#pragma once

#include <bit>
#include <cstdint>

namespace tokprob {

// Inline and branch-free so that loops over whole matrices vectorise.
inline float bf16_to_f32(uint16_t v) { return std::bit_cast<float>(static_cast<uint32_t>(v) << 16); }
inline uint16_t f32_to_bf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x40u;  // NaN stays NaN (rounding could carry it into inf)
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

float f16_to_f32(uint16_t v);
uint16_t f32_to_f16(float v);  // beyond ±65504 gives ±inf

}  // namespace tokprob
