// Matrix products with weights in a reduced-precision format (bf16, f16, int8; see LinearWeights):
// the weights are widened to fp32 in registers as they stream in, so decoding reads half or a
// quarter of the fp32 bytes while activations and sums stay fp32.
#pragma once

#include <cstdint>

#include "kernels/linear.hpp"

namespace tokprob {

// y[rows, out] (+)= x[rows, in] · Wᵀ over output columns [o_begin, o_end), rows <= kSkinnyMaxRows,
// reading each weight once. Single-threaded: callers split the output range across threads.
void packed_skinny_gemm(const float* x, int64_t rows, const LinearWeights& w, int64_t o_begin, int64_t o_end,
                        float* y, bool accumulate);

// Weight rows [o_begin, o_end) widened to fp32, [o_end - o_begin, in] into `dst` (for BLAS on
// many rows, where arithmetic, not memory, bounds the product).
void widen_rows(const LinearWeights& w, int64_t o_begin, int64_t o_end, float* dst);

// n fp32 values to IEEE half, rounded to nearest even (±inf beyond ±65504), with the CPU's
// conversion instructions where it has them: the packer's f16 conversion.
void narrow_to_f16(const float* src, int64_t n, uint16_t* dst);

}  // namespace tokprob
