// An embedding matrix [rows, dim] read a row at a time where the checkpoint stores it. A lookup
// touches only the rows it reads, and F16/BF16 rows are widened then (exactly), so no fp32 copy of
// the table is kept: on a BF16 checkpoint that copy was twice the table, more than the rest of
// the model. A tied head packed as bf16 reads the same mapped bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/safetensors.hpp"

namespace tokprob {

class EmbeddingTable {
 public:
  EmbeddingTable() = default;
  // The tensor `name` of `weights`, checked to be [rows, dim]. F32, F16 and BF16 are read where
  // they lie; another floating dtype (F64) is converted to fp32 once, as Weights::f32 does.
  EmbeddingTable(const Weights& weights, const std::string& name, int64_t rows, int64_t dim);

  int64_t dim() const { return dim_; }
  // out[0, dim) = row i
  void copy_row(int64_t i, float* out) const;
  // out[0, dim) += row i, each sum rounded once as fp32 `out[c] + row[c]` is.
  void add_row(int64_t i, float* out) const;

 private:
  const uint8_t* data_ = nullptr;
  DType dtype_ = DType::f32;
  int64_t dim_ = 0;
};

}  // namespace tokprob
