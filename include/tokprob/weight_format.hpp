// The number formats a model's matrix weights can be held in for the matrix products (--dtype).
// fp32 is the stored weights as they are (exact to the reference); the others are converted at
// load and trade accuracy for memory traffic, which is what bounds decoding speed.
#pragma once

#include <string>

namespace tokprob {

enum class WeightFormat {
  f32,
  bf16,  // bfloat16: fp32's range, 8 significant bits
  f16,   // IEEE half: 11 significant bits, range ±65504
  int8,  // symmetric int8 with one fp32 scale per 64 weights of a row
};

// "fp32" (or "f32", "float32"), "bf16" ("bfloat16"), "f16" ("fp16", "float16", "half"), "int8", in
// any case; throws a usage error naming the value and the choices.
WeightFormat parse_weight_format(const std::string& name);
const char* weight_format_name(WeightFormat format);  // fp32, bf16, f16, int8

}  // namespace tokprob
