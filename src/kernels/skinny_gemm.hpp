// Products of a few activation rows with a large weight matrix (decoding, short prompts, the LM
// head of a handful of rows): memory-bound, so the kernel reads every weight exactly once and
// keeps all rows' partial sums in registers. BLAS sgemm would first copy the weights into a packed
// layout, doubling the traffic.
#pragma once

#include <cstdint>

namespace tokprob {

inline constexpr int64_t kSkinnyMaxRows = 8;

// y[rows, out] (+)= x[rows, in] · W over output columns [o_begin, o_end), rows <= kSkinnyMaxRows.
// W stored [out, in] (stored_in_out false) or [in, out] (true). Single-threaded: callers split
// the output range across threads (columns in multiples of 32 for the [in, out] layout).
void skinny_gemm(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, bool stored_in_out,
                 int64_t o_begin, int64_t o_end, float* y, bool accumulate);

}  // namespace tokprob
