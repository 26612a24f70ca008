// Products of many activation rows (prefill, scoring) with int8 weights in integer arithmetic: the
// activations are quantised to int8 per row and kInt8Block of features, like the weights, and each
// block's products are summed exactly in int32 before its two scales are applied. On CPUs without
// an int8 dot-product instruction (AVX2 only) the sums use vpmaddubsw on |activation| with the
// activation's sign moved onto the weight (vpsignb), then vpmaddwd by ones: no pair of products
// can saturate the 16-bit step (2 · 127 · 127 < 2^15), and 64 products fit int32 easily.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/linear.hpp"

namespace tokprob {

// Activation rows quantised for int8_gemm. In row r, block b (features [64b, 64b + 64)):
// scales[r, b] = the block's largest |x| / 127 and q[r, k] = round-half-even(x[r, k] / scale) in
// [-127, 127], 0 past `in`. A block holding a NaN or an infinity gets scale NaN and zeros, so its
// row's outputs are NaN, as fp32 arithmetic makes them, without converting a NaN to an integer.
struct Int8Rows {
  int64_t rows = 0, in = 0;
  int64_t stride = 0;  // bytes per row of q: `in` rounded up to kInt8Block
  int64_t blocks = 0;  // stride / kInt8Block
  std::vector<int8_t> q;       // [rows, stride]
  std::vector<float> scales;   // [rows, blocks]
};

// Fills `out` (its buffers reused) from x [rows, in]; rows are split over the thread pool.
void quantize_rows_int8(const float* x, int64_t rows, int64_t in, Int8Rows& out);

// y[r, o] for output columns [o_begin, o_end) of int8 weights `w` (kInt8Block scales; see
// LinearWeights) and every row of `x`, computed as: c = accumulate ? y[r, o] : 0, then for each
// block b in order, c = fma(float(S), x.scales[r, b] · w.scales[o, b], c) with S the exact integer
// sum of the block's products q[r, k] · w[o, k]. No bias. Single-threaded: callers split columns.
void int8_gemm(const Int8Rows& x, const LinearWeights& w, int64_t o_begin, int64_t o_end, float* y, bool accumulate);

}  // namespace tokprob
