// Converts a model's matrix weights into the weight format chosen at load (--dtype) and keeps the
// converted copies for the model's lifetime. Models build every LinearWeights through one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.hpp"
#include "kernels/linear.hpp"
#include "kernels/packed_weight_cache.hpp"
#include "kernels/weight_arena.hpp"
#include "kernels/weight_format.hpp"

namespace tokprob {

class LinearPacker {
 public:
  // With a cache, weights converted before are taken from it and the ones converted now are
  // added to it (the loader saves it once the model is built).
  explicit LinearPacker(WeightFormat format = WeightFormat::f32, std::shared_ptr<PackedWeightCache> cache = nullptr)
      : format_(format), cache_(std::move(cache)) {}

  WeightFormat format() const { return format_; }

  // `w` (fp32, either layout) in this packer's format: [out, in] rows, int8 with a scale per
  // kInt8Block weights (the largest magnitude maps to ±127). fp32 returns `w` itself, no copy (with
  // a cache: its copy there, or `w` added to it); a matrix packed before (a tied embedding) is
  // converted once. Throws naming `name` for a weight the format cannot hold (not finite, or
  // beyond f16's ±65504).
  LinearWeights pack(const LinearWeights& w, const std::string& name);

  // fp32 only: the matrix kept under `name` in the cache, in the layout asked, with `bias`; looked
  // up before the stored matrix is read at all (an F16/BF16 one would be widened for nothing).
  std::optional<LinearWeights> cached_f32(const std::string& name, int64_t in, int64_t out, bool stored_in_out,
                                          const float* bias);

  // The matrix `t` (F32, F16 or BF16; [out, in], or [in, out] when `stored_in_out`) in this
  // packer's format, read in its stored dtype a segment at a time: no fp32 copy of it is made. The
  // cache is looked in by `name` before `t` is read at all. BF16 [out, in] packed as bf16 is used
  // where it lies (nothing converted, nothing cached). This packer's format must not be fp32,
  // which is a copy of the whole matrix (Weights::f32 makes it).
  LinearWeights pack(const TensorView& t, const float* bias, int64_t in, int64_t out, bool stored_in_out,
                     const std::string& name);

  // Bytes of converted weights held.
  int64_t bytes() const { return bytes_; }

 private:
  // `data` as stored: see pack(const TensorView&, ...).
  LinearWeights convert(const uint8_t* data, DType dtype, int64_t in, int64_t out, bool stored_in_out,
                        const float* bias, const std::string& name);

  WeightFormat format_;
  std::shared_ptr<PackedWeightCache> cache_;  // shared: the mapped weights live as long as the model
  // Filled by the conversion: allocated without zeroing, which would touch every page once more.
  WeightArena arena_;
  // By source address: a matrix packed twice (a tied embedding) is converted once.
  std::map<const void*, LinearWeights> packed_;
  int64_t bytes_ = 0;
};

}  // namespace tokprob
