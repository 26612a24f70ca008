#include "models/blocks/stored_linear.hpp"

#include <cstdint>
#include <vector>

namespace tokprob {

LinearWeights read_linear(const Weights& weights, LinearPacker& packer, const StoredLinear& m) {
  const std::vector<int64_t> shape = m.in_out ? std::vector<int64_t>{m.in, m.out} : std::vector<int64_t>{m.out, m.in};
  const std::string& name = m.packed_name.empty() ? m.weight : m.packed_name;
  if (packer.format() == WeightFormat::f32) {
    const TensorView& stored = weights.get(m.weight);
    // Only a matrix f32() would copy (F16/BF16 widened) goes through the cache. Aligned F32 is used
    // where it is mapped: a copy in the cache file measured slower to map than the checkpoint
    // (the page cache holds a file in pages of whatever size its writing or reading left).
    const bool in_place = stored.dtype == DType::f32 && reinterpret_cast<uintptr_t>(stored.data) % alignof(float) == 0;
    const bool floating = stored.dtype == DType::f32 || stored.dtype == DType::f16 || stored.dtype == DType::bf16 ||
                          stored.dtype == DType::f64;
    // A weight of another shape or dtype fails in f32(), naming it, before its bias is read.
    if (in_place || stored.shape != shape || !floating) {
      const float* w = weights.f32(m.weight, shape);
      return {w, m.bias.empty() ? nullptr : weights.f32(m.bias, {m.out}), m.in, m.out, m.in_out};
    }
    const float* b = m.bias.empty() ? nullptr : weights.f32(m.bias, {m.out});
    if (auto found = packer.cached_f32(name, m.in, m.out, m.in_out, b)) return *found;
    return packer.pack({weights.f32(m.weight, shape), b, m.in, m.out, m.in_out}, name);
  }
  const TensorView& w = weights.matrix(m.weight, shape);
  const float* b = m.bias.empty() ? nullptr : weights.f32(m.bias, {m.out});
  const LinearWeights packed = packer.pack(w, b, m.in, m.out, m.in_out, name);
  // Converted (not used in place), the stored bytes are no longer read.
  if (packed.packed != w.data) weights.release(m.weight);
  return packed;
}

}  // namespace tokprob
