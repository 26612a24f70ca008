// Scalar conversions between fp32 and the 16-bit float formats (bf16, IEEE half), used by the
// safetensors loader and the weight packer. Rounding is to nearest, ties to even.
#pragma once

#include <cstdint>

namespace tokprob {

float bf16_to_f32(uint16_t v);
float f16_to_f32(uint16_t v);
uint16_t f32_to_bf16(float v);
uint16_t f32_to_f16(float v);  // beyond ±65504 gives ±inf

}  // namespace tokprob
