// safetensors files (one or sharded through model.safetensors.index.json), memory-mapped.
// Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// then the raw little-endian tensor data, offsets relative to its start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/mapped_file.hpp"
#include "kernels/half_float.hpp"

namespace tokprob {

enum class DType { f32, f16, bf16, f64, i64, i32, i16, i8, u8, boolean };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  const MappedFile* file = nullptr;

  int64_t numel() const;
};

// Limits on what a header may claim, so a hostile file cannot make us allocate or loop without end.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;
inline constexpr size_t kMaxTensorCount = 1u << 20;

// Parses and validates the header of one safetensors file held in `bytes` (`name` for messages):
// every tensor lies inside the data region, its byte size matches dtype and shape, and no two
// tensors overlap. Views point into `bytes`; their `file` is null.
std::vector<TensorView> read_safetensors_header(std::span<const uint8_t> bytes, const std::string& name);
// The same for one mapped file; views point into the mapping.
std::vector<TensorView> read_safetensors_header(const MappedFile& file);

// All tensors of a model folder: `model.safetensors`, or the shards listed by
// `model.safetensors.index.json`. Floating tensors can be read as fp32; stored F16/BF16 data is
// converted once and kept for the lifetime of this object. Matrices that are packed into another
// format are read through matrix() instead, which converts nothing.
class Weights {
 public:
  static Weights open_folder(const std::filesystem::path& dir);
  static Weights open_files(const std::vector<std::filesystem::path>& files);

  Weights(Weights&&) noexcept;
  Weights& operator=(Weights&&) noexcept;
  ~Weights();

  bool has(const std::string& name) const;
  const TensorView& get(const std::string& name) const;  // throws naming the tensor
  // The tensor as fp32, checked against `expected_shape` (throws naming tensor and shapes).
  // A name asked twice is converted once.
  const float* f32(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  // The stored tensor, checked against `expected_shape` and to be F32, F16 or BF16; nothing is
  // converted (a packer reads it in its stored dtype).
  const TensorView& matrix(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  // Drops the stored bytes of `name` from resident memory after a copy was made of them (they are
  // read again from the page cache if used).
  void release(const std::string& name) const;
  // The fp32 copies f32() made of stored F16/BF16/F64 (or misaligned F32) data, by tensor name, in
  // bytes: what conversion keeps resident beyond the mapped files.
  const std::map<std::string, int64_t>& converted_bytes() const { return *converted_bytes_; }
  // Records those in `into` from now on (which outlives this object, moved into a model).
  void record_conversions_in(std::shared_ptr<std::map<std::string, int64_t>> into) {
    converted_bytes_ = std::move(into);
  }
  std::vector<std::string> names() const;
  std::string source() const;  // file names, for messages
  std::vector<std::filesystem::path> files() const;

 private:
  Weights();
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::map<std::string, TensorView> tensors_;
  const TensorView& checked(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  mutable std::map<std::string, std::vector<float>> converted_;
  std::shared_ptr<std::map<std::string, int64_t>> converted_bytes_ = std::make_shared<std::map<std::string, int64_t>>();
};


}  // namespace tokprob
