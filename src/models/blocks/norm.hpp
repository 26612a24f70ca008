// The norms decoders put around their blocks, by kind: LayerNorm (GPT-2, OPT, GPT-NeoX), RMSNorm
// (Llama) and Gemma's RMSNorm scaled by (1 + w).
#pragma once

#include <cstdint>

namespace tokprob {

enum class NormKind { layer_norm, rms_norm, rms_norm_unit_offset };

struct Norm {
  NormKind kind = NormKind::rms_norm;
  const float* weight = nullptr;
  const float* bias = nullptr;  // layer_norm only; may be null
  float eps = 1e-6f;

  explicit operator bool() const { return weight != nullptr; }
  // x: [rows, dim] -> out: [rows, dim]; out may alias x.
  void apply(const float* x, int64_t rows, int64_t dim, float* out) const;
};

}  // namespace tokprob
