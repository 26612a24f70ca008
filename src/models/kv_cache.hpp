// Keys and values of every layer for one sequence, grown as tokens arrive.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/causal_lm.hpp"

namespace tokprob {

class KVCache final : public DecoderState {
 public:
  // kv_dim = n_kv_heads * head_dim
  KVCache(int64_t n_layers, int64_t kv_dim) : kv_dim_(kv_dim), k_(n_layers), v_(n_layers) {}

  int64_t length() const override { return length_; }
  std::unique_ptr<DecoderState> clone() const override { return std::make_unique<KVCache>(*this); }

  // Writes n rows (row stride `stride`) of keys and values for layer `layer` after the current
  // length; they become part of length() only with advance(), once every layer has them.
  void append(int64_t layer, const float* k, const float* v, int64_t stride, int64_t n) {
    auto& K = k_[layer];
    auto& V = v_[layer];
    K.resize((length_ + n) * kv_dim_);
    V.resize((length_ + n) * kv_dim_);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < kv_dim_; ++c) {
        K[(length_ + i) * kv_dim_ + c] = k[i * stride + c];
        V[(length_ + i) * kv_dim_ + c] = v[i * stride + c];
      }
  }
  // The tokens whose keys and values append() wrote, now part of the cache.
  void advance(std::span<const int32_t> ids) {
    ids_.insert(ids_.end(), ids.begin(), ids.end());
    length_ += static_cast<int64_t>(ids.size());
  }
  // Forgets everything after the first n tokens (scoring windows, rewinding a beam).
  void truncate(int64_t n) {
    length_ = n < length_ ? n : length_;
    ids_.resize(static_cast<size_t>(length_));
  }
  // The tokens cached so far, so that a model can recompute the cache from them.
  const std::vector<int32_t>& ids() const { return ids_; }

  const float* keys(int64_t layer) const { return k_[layer].data(); }
  const float* values(int64_t layer) const { return v_[layer].data(); }
  float* mutable_keys(int64_t layer) { return k_[layer].data(); }

 private:
  int64_t kv_dim_;
  int64_t length_ = 0;
  std::vector<std::vector<float>> k_, v_;
  std::vector<int32_t> ids_;
};

}  // namespace tokprob
