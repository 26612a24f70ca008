// What the kernels need to know of the weight formats (the formats themselves are public:
// tokprob/weight_format.hpp).
#pragma once

#include <cstdint>

#include "tokprob/weight_format.hpp"

namespace tokprob {

// Weights of one output row that share an int8 scale (along the input dimension).
inline constexpr int64_t kInt8Block = 64;

// Bytes a matrix of out × in weights takes in `format`, scales included.
int64_t weight_format_bytes(WeightFormat format, int64_t out, int64_t in);

}  // namespace tokprob
