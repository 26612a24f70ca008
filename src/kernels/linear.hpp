// Dense layers on row-major activations.
#pragma once

#include <cstdint>

#include "kernels/weight_format.hpp"

namespace tokprob {

// A weight matrix mapping `in` features to `out`, with an optional fp32 bias of `out`.
// fp32 weights are used where they are stored, [out, in] (torch nn.Linear) or [in, out] (GPT-2's
// Conv1D). Other formats (made by LinearPacker) are always [out, in] rows in `packed`, int8 with
// `scales` [out, ceil(in / kInt8Block)].
struct LinearWeights {
  const float* w = nullptr;
  const float* b = nullptr;
  int64_t in = 0, out = 0;
  bool stored_in_out = false;  // fp32 only: true for [in, out]
  WeightFormat format = WeightFormat::f32;
  const void* packed = nullptr;
  const float* scales = nullptr;
};

// y[rows, out] = x[rows, in] · W (+ b); with `accumulate`, y += x · W (+ b) (residual adds).
// Activations and accumulation are fp32, except that int8 weights quantise the activations of up
// to kSkinnyMaxRows rows (decoding) to int16 per kInt8Block of a row, and those of more rows to
// int8 when Int8Products::integer is chosen.
void linear(const float* x, int64_t rows, const LinearWeights& w, float* y, bool accumulate = false);

// How int8 weights multiply more than kSkinnyMaxRows rows: `widened` (the default) widens the
// weights to fp32 and keeps fp32 activations (exact where the weights are on the int8 grid);
// `integer` quantises the activations to int8 per kInt8Block and sums products in int32
// (kernels/int8_gemm.hpp), faster but not the default: on TinyStories its mean KL to fp32,
// 1.1e-3, misses the 1e-3 target that the widened products meet (bench/README.md).
// Process-wide; not meant to change while kernels run.
enum class Int8Products { integer, widened };
void set_int8_products(Int8Products mode);
Int8Products int8_products();

// Threads used by the matrix kernels (the BLAS pool); 0 = all cores.
void set_num_threads(int n);
int num_threads();

}  // namespace tokprob
