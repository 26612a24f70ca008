#include "models/blocks/sinusoidal_positions.hpp"

#include <cmath>

namespace tokprob {

std::vector<float> half_split_sinusoidal_positions(int64_t positions, int64_t dim) {
  std::vector<float> out(static_cast<size_t>(positions * dim));
  const int64_t sines = (dim + 1) / 2;
  for (int64_t p = 0; p < positions; ++p) {
    float* row = out.data() + p * dim;
    for (int64_t k = 0; k < sines; ++k) {
      // 2 * (j // 2) / dim of the reference, for j = 2k and j = 2k + 1.
      const double angle = static_cast<double>(p) / std::pow(10000.0, static_cast<double>(2 * k) / static_cast<double>(dim));
      row[k] = static_cast<float>(std::sin(angle));
      if (sines + k < dim) row[sines + k] = static_cast<float>(std::cos(angle));
    }
  }
  return out;
}

}  // namespace tokprob
