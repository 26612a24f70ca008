// A checkpoint's matrix read into the weight format chosen at load, from its stored dtype.
#pragma once

#include <cstdint>
#include <string>

#include "io/safetensors.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"

namespace tokprob {

struct StoredLinear {
  std::string weight;        // [out, in] (nn.Linear), or [in, out] when `in_out` (GPT-2's Conv1D)
  std::string bias;          // [out]; empty for none
  int64_t in = 0, out = 0;
  bool in_out = false;
  std::string packed_name;   // the name the weight cache keys it by; empty: `weight` (a tied head differs)
};

// fp32 (the format asked) reads the matrix as fp32 (a copy only where the checkpoint is F16/BF16);
// any other format packs it straight from the stored bytes, so no fp32 copy of it is made, and a
// weight-cache hit reads nothing of it. Biases are vectors and always fp32.
LinearWeights read_linear(const Weights& weights, LinearPacker& packer, const StoredLinear& m);

}  // namespace tokprob
