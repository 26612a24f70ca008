// The number formats a model's matrix weights can be held in for the matrix products. fp32 is
// the stored weights as they are (exact to the reference); the others are converted at load and
// trade accuracy for memory traffic, which is what bounds decoding speed.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

enum class WeightFormat {
  f32,
  bf16,  // bfloat16: fp32's range, 8 significant bits
  f16,   // IEEE half: 11 significant bits, range ±65504
  int8,  // symmetric int8 with one fp32 scale per kInt8Block weights of a row
};

// Weights of one output row that share an int8 scale (along the input dimension).
inline constexpr int64_t kInt8Block = 64;

// "fp32" (or "f32", "float32"), "bf16" ("bfloat16"), "f16" ("fp16", "float16", "half"), "int8", in any case;
// throws naming the value and the choices.
WeightFormat parse_weight_format(const std::string& name);
const char* weight_format_name(WeightFormat format);  // fp32, bf16, f16, int8

// Bytes a matrix of out × in weights takes in `format`, scales included.
int64_t weight_format_bytes(WeightFormat format, int64_t out, int64_t in);

}  // namespace tokprob
