// How a model is loaded, beyond what its folder says.
#pragma once

#include "kernels/weight_format.hpp"

namespace tokprob {

struct LoadOptions {
  // Format of the matrix weights (every linear layer and the LM head) for the products; embeddings,
  // norms and biases stay fp32. fp32 keeps the reference's numbers.
  WeightFormat weights = WeightFormat::f32;
};

}  // namespace tokprob
