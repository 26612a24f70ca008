#include "models/blocks/norm.hpp"

#include "kernels/norms.hpp"

namespace tokprob {

void Norm::apply(const float* x, int64_t rows, int64_t dim, float* out) const {
  switch (kind) {
    case NormKind::layer_norm:
      layer_norm(x, rows, dim, weight, bias, eps, out);
      break;
    case NormKind::rms_norm:
      rms_norm(x, rows, dim, weight, eps, out);
      break;
    case NormKind::rms_norm_unit_offset:
      // Normalised first, then scaled by (1 + w), in that order as the reference rounds.
      rms_norm(x, rows, dim, nullptr, eps, out);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < dim; ++i) out[r * dim + i] *= 1.0f + weight[i];
      break;
  }
}

}  // namespace tokprob
