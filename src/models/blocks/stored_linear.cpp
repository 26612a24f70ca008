#include "models/blocks/stored_linear.hpp"

#include <vector>

namespace tokprob {

LinearWeights read_linear(const Weights& weights, LinearPacker& packer, const StoredLinear& m) {
  const std::vector<int64_t> shape = m.in_out ? std::vector<int64_t>{m.in, m.out} : std::vector<int64_t>{m.out, m.in};
  const std::string& name = m.packed_name.empty() ? m.weight : m.packed_name;
  if (packer.format() == WeightFormat::f32) {
    const float* w = weights.f32(m.weight, shape);
    const float* b = m.bias.empty() ? nullptr : weights.f32(m.bias, {m.out});
    return packer.pack({w, b, m.in, m.out, m.in_out}, name);
  }
  const TensorView& w = weights.matrix(m.weight, shape);
  const float* b = m.bias.empty() ? nullptr : weights.f32(m.bias, {m.out});
  const LinearWeights packed = packer.pack(w, b, m.in, m.out, m.in_out, name);
  // Converted (not used in place), the stored bytes are no longer read.
  if (packed.packed != w.data) weights.release(m.weight);
  return packed;
}

}  // namespace tokprob
