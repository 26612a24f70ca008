#include "kernels/weight_format.hpp"

#include <cctype>

#include "tokprob/error.hpp"

namespace tokprob {

WeightFormat parse_weight_format(const std::string& spelled) {
  // Any case: "BF16" as a user may copy it from a model card or torch_dtype.
  std::string name = spelled;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "fp32" || name == "f32" || name == "float32") return WeightFormat::f32;
  if (name == "bf16" || name == "bfloat16") return WeightFormat::bf16;
  if (name == "f16" || name == "fp16" || name == "float16" || name == "half") return WeightFormat::f16;
  if (name == "int8" || name == "q8") return WeightFormat::int8;
  usage_error("unknown weight dtype '" + spelled + "' (choose fp32, bf16, f16 or int8)");
}

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::f32: return "fp32";
    case WeightFormat::bf16: return "bf16";
    case WeightFormat::f16: return "f16";
    case WeightFormat::int8: return "int8";
  }
  return "?";
}

int64_t weight_format_bytes(WeightFormat format, int64_t out, int64_t in) {
  switch (format) {
    case WeightFormat::f32: return out * in * 4;
    case WeightFormat::bf16:
    case WeightFormat::f16: return out * in * 2;
    case WeightFormat::int8: return out * in + out * ((in + kInt8Block - 1) / kInt8Block) * 4;
  }
  return 0;
}

}  // namespace tokprob
