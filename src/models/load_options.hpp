// How a model is loaded, beyond what its folder says.
#pragma once

#include <filesystem>
#include <memory>

#include "kernels/packed_weight_cache.hpp"
#include "kernels/weight_format.hpp"

namespace tokprob {

struct LoadOptions {
  LoadOptions(WeightFormat weights = WeightFormat::f32) : weights(weights) {}  // NOLINT: {format} reads well

  // Format of the matrix weights (every linear layer and the LM head) for the products; embeddings,
  // norms and biases stay fp32. fp32 keeps the reference's numbers.
  WeightFormat weights;
  // Where weights converted to another format are kept for the next load (PackedWeightCache);
  // empty: converted at every load.
  std::filesystem::path weight_cache_dir;
  // Set by the registry's loaders for the model being built from weight_cache_dir.
  std::shared_ptr<PackedWeightCache> packed_cache;
};

}  // namespace tokprob
