#include "models/blocks/embedding_table.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/half_float.hpp"

namespace tokprob {

namespace {

// Stored values [0, n) at `p` as fp32 into `dst`; `p` need not be aligned.
void widen(const uint8_t* p, DType dtype, int64_t n, float* dst) {
  if (dtype == DType::f32) {
    std::memcpy(dst, p, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const bool bf = dtype == DType::bf16;
  for (int64_t k = 0; k < n; ++k) {
    uint16_t v;
    std::memcpy(&v, p + 2 * k, 2);
    dst[k] = bf ? bf16_to_f32(v) : f16_to_f32(v);
  }
}

}  // namespace

EmbeddingTable::EmbeddingTable(const Weights& weights, const std::string& name, int64_t rows, int64_t dim)
    : dim_(dim) {
  const TensorView& t = weights.get(name);
  if (t.dtype == DType::f32 || t.dtype == DType::f16 || t.dtype == DType::bf16) {
    data_ = weights.matrix(name, {rows, dim}).data;
    dtype_ = t.dtype;
  } else {
    data_ = reinterpret_cast<const uint8_t*>(weights.f32(name, {rows, dim}));  // throws for a non-float dtype
  }
}

void EmbeddingTable::copy_row(int64_t i, float* out) const {
  widen(data_ + i * dim_ * static_cast<int64_t>(dtype_size(dtype_)), dtype_, dim_, out);
}

void EmbeddingTable::add_row(int64_t i, float* out) const {
  const uint8_t* p = data_ + i * dim_ * static_cast<int64_t>(dtype_size(dtype_));
  if (dtype_ == DType::f32 && reinterpret_cast<uintptr_t>(p) % alignof(float) == 0) {
    const float* row = reinterpret_cast<const float*>(p);
    for (int64_t c = 0; c < dim_; ++c) out[c] += row[c];
    return;
  }
  constexpr int64_t kSegment = 256;
  float segment[kSegment];
  for (int64_t c0 = 0; c0 < dim_; c0 += kSegment) {
    const int64_t n = std::min(kSegment, dim_ - c0);
    widen(p + c0 * static_cast<int64_t>(dtype_size(dtype_)), dtype_, n, segment);
    for (int64_t c = 0; c < n; ++c) out[c0 + c] += segment[c];
  }
}

}  // namespace tokprob
