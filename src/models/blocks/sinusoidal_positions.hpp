// The fixed position table of Marian (MarianSinusoidalPositionalEmbedding): not interleaved, the
// sines fill the first half of each row and the cosines the second, computed in double and rounded
// to float32 once, as the reference builds it with numpy before casting.
#pragma once

#include <cstdint>
#include <vector>

namespace tokprob {

// [positions, dim] row-major: row p, column k < ceil(dim/2) is sin(p / 10000^(2k/dim)); column
// ceil(dim/2) + k is cos(p / 10000^(2k/dim)).
std::vector<float> half_split_sinusoidal_positions(int64_t positions, int64_t dim);

}  // namespace tokprob
