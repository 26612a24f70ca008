// Dense layers on row-major activations.
#pragma once

#include <cstdint>

namespace tokprob {

// A weight matrix mapping `in` features to `out`, stored either [out, in] (torch nn.Linear) or
// [in, out] (GPT-2's Conv1D), with an optional bias of `out`.
struct LinearWeights {
  const float* w = nullptr;
  const float* b = nullptr;
  int64_t in = 0, out = 0;
  bool stored_in_out = false;  // true for [in, out]
};

// y[rows, out] = x[rows, in] · W (+ b); with `accumulate`, y += x · W (+ b) (residual adds).
void linear(const float* x, int64_t rows, const LinearWeights& w, float* y, bool accumulate = false);

// Threads used by the matrix kernels (the BLAS pool); 0 = all cores.
void set_num_threads(int n);
int num_threads();

}  // namespace tokprob
