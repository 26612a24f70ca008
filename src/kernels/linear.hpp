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
// Activations and accumulation are fp32 whatever the weights' format.
void linear(const float* x, int64_t rows, const LinearWeights& w, float* y, bool accumulate = false);

// Threads used by the matrix kernels (the BLAS pool); 0 = all cores.
void set_num_threads(int n);
int num_threads();

}  // namespace tokprob
