#include "kernels/norms.hpp"

#include <cmath>

namespace tokprob {

void layer_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, const float* beta, float eps,
                float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = out + r * dim;
    // Two passes in double: the reference's fp32 kernel is accurate to well below our tolerance,
    // and a one-pass variance loses digits on rows with a large mean.
    double mean = 0;
    for (int64_t i = 0; i < dim; ++i) mean += xr[i];
    mean /= static_cast<double>(dim);
    double var = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double d = xr[i] - mean;
      var += d * d;
    }
    var /= static_cast<double>(dim);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    const float m = static_cast<float>(mean);
    for (int64_t i = 0; i < dim; ++i) {
      const float v = (xr[i] - m) * inv * gamma[i];
      yr[i] = beta ? v + beta[i] : v;
    }
  }
}

void rms_norm(const float* x, int64_t rows, int64_t dim, const float* gamma, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = out + r * dim;
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) yr[i] = gamma ? xr[i] * inv * gamma[i] : xr[i] * inv;
  }
}

}  // namespace tokprob
