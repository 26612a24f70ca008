// Normalisation layers, row by row: x, out: [rows, dim]. `out` may alias `x`.
#pragma once

#include <cstdint>

namespace tokprob {

// (x - mean) / sqrt(var + eps) * gamma + beta; beta may be null.
void layer_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, const float* beta, float eps,
                float* out);

// x * rsqrt(mean(x^2) + eps) * gamma (Llama's RMSNorm, T5's LayerNorm); gamma may be null.
void rms_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, float eps, float* out);

}  // namespace tokprob
