// How the engine loads a model: the public options (tokprob/load_options.hpp), with what the
// engine sets beside them, which no caller of the public API may see or set.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "kernels/packed_weight_cache.hpp"
#include "tokprob/load_options.hpp"

namespace tokprob {

struct ModelLoadOptions : LoadOptions {
  ModelLoadOptions(const LoadOptions& options = {}) : LoadOptions(options) {}  // NOLINT: any public options
  ModelLoadOptions(WeightFormat weights) : LoadOptions(weights) {}             // NOLINT: {format} reads well

  // Set by the loader for the model being built from weight_cache_dir.
  std::shared_ptr<PackedWeightCache> packed_cache;
  // For tests and the benchmark: when set, the loader records in it each tensor it copied to fp32
  // (stored F16/BF16 data), with the copy's bytes: what a load keeps beyond the mapping.
  std::shared_ptr<std::map<std::string, int64_t>> converted_tensors;
};

}  // namespace tokprob
