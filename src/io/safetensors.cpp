#include "io/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

DType parse_dtype(const std::string& s, const std::string& tensor, const std::string& file) {
  static const std::map<std::string, DType> table = {
      {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16}, {"F64", DType::f64},
      {"I64", DType::i64}, {"I32", DType::i32}, {"I16", DType::i16},   {"I8", DType::i8},
      {"U8", DType::u8},   {"BOOL", DType::boolean}};
  auto it = table.find(s);
  if (it == table.end()) fail(file + ": tensor '" + tensor + "' has unsupported dtype '" + s + "'");
  return it->second;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f64: case DType::i64: return 8;
    case DType::f32: case DType::i32: return 4;
    case DType::f16: case DType::bf16: case DType::i16: return 2;
    case DType::i8: case DType::u8: case DType::boolean: return 1;
  }
  return 1;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::f64: return "F64";
    case DType::i64: return "I64";
    case DType::i32: return "I32";
    case DType::i16: return "I16";
    case DType::i8: return "I8";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<TensorView> read_safetensors_header(const MappedFile& file) {
  auto views = read_safetensors_header(std::span<const uint8_t>(file.data(), file.size()), file.path().string());
  for (auto& v : views) v.file = &file;
  return views;
}

std::vector<TensorView> read_safetensors_header(std::span<const uint8_t> bytes, const std::string& fname) {
  if (bytes.size() < 8) fail(fname + ": not a safetensors file (shorter than its 8-byte header length)");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if constexpr (std::endian::native == std::endian::big) header_len = __builtin_bswap64(header_len);
  if (header_len > kMaxSafetensorsHeaderBytes)
    fail(fname + ": safetensors header length " + std::to_string(header_len) + " exceeds the limit");
  if (header_len > bytes.size() - 8)
    fail(fname + ": safetensors header length " + std::to_string(header_len) +
         " is larger than the file (truncated or not a safetensors file)");
  const char* hbegin = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(hbegin, hbegin + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail(fname + ": safetensors header is not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!header.is_object()) fail(fname + ": safetensors header is not a JSON object");
  if (header.size() > kMaxTensorCount)
    fail(fname + ": safetensors header lists " + std::to_string(header.size()) + " entries, more than the limit of " +
         std::to_string(kMaxTensorCount) + " tensors");

  const uint8_t* data_begin = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;
  std::vector<TensorView> out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    // Structured bindings cannot be captured by lambdas in clang 14, hence the named copy.
    const std::string& tensor_name = name;
    auto bad = [&](const std::string& what) { fail(fname + ": tensor '" + tensor_name + "': " + what); };
    if (!entry.is_object()) bad("entry is not an object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) bad("missing dtype");
    if (sh == entry.end() || !sh->is_array()) bad("missing shape");
    if (off == entry.end() || !off->is_array() || off->size() != 2) bad("missing data_offsets");
    TensorView t;
    t.name = name;
    t.dtype = parse_dtype(dt->get<std::string>(), name, fname);
    uint64_t numel = 1;
    for (auto& d : *sh) {
      if (!d.is_number_unsigned()) bad("shape has a non-integer or negative dimension");
      const uint64_t v = d.get<uint64_t>();
      if (v > (1ull << 40) || (v != 0 && numel > (1ull << 40) / v)) bad("shape is absurdly large");
      numel *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) bad("bad data_offsets");
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end || end > data_size)
      bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
          ") lie outside the file's data (" + std::to_string(data_size) + " bytes; truncated file?)");
    if (end - begin != numel * dtype_size(t.dtype))
      bad("data size " + std::to_string(end - begin) + " does not match shape " + shape_string(t.shape) +
          " of " + dtype_name(t.dtype));
    t.data = data_begin + begin;
    t.nbytes = end - begin;
    if (t.nbytes) ranges.emplace_back(begin, end);
    out.push_back(std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) fail(fname + ": tensors overlap in the data region");
  return out;
}

Weights::Weights() = default;
Weights::Weights(Weights&&) noexcept = default;
Weights& Weights::operator=(Weights&&) noexcept = default;
Weights::~Weights() = default;

Weights Weights::open_files(const std::vector<std::filesystem::path>& files) {
  Weights w;
  for (const auto& f : files) {
    w.files_.push_back(std::make_unique<MappedFile>(f));
    for (auto& t : read_safetensors_header(*w.files_.back())) {
      if (w.tensors_.count(t.name)) fail(f.string() + ": tensor '" + t.name + "' appears twice");
      std::string name = t.name;
      w.tensors_.emplace(std::move(name), std::move(t));
    }
  }
  return w;
}

Weights Weights::open_folder(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  // The error_code overloads: a name the OS refuses (too long, a symlink loop, no permission)
  // must be an Error naming it, not a std::filesystem_error.
  std::error_code ec;
  if (fs::exists(single, ec)) return open_files({single});
  if (fs::exists(index, ec)) {
    std::ifstream in(index);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      fail(index.string() + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index.string() + ": no \"weight_map\" object");
    std::set<std::string> shard_names;
    for (auto& [tensor, file] : j["weight_map"].items()) {
      if (!file.is_string()) fail(index.string() + ": weight_map entry for '" + tensor + "' is not a file name");
      const std::string name = file.get<std::string>();
      // A shard must be a plain file name inside the folder: nothing may point outside it.
      const fs::path p(name);
      if (name.empty() || p.has_parent_path() || p.is_absolute() || name == "." || name == "..")
        fail(index.string() + ": shard name '" + name + "' is not a plain file name in the model folder");
      shard_names.insert(name);
    }
    if (shard_names.empty()) fail(index.string() + ": weight_map is empty");
    // A shard may still be a symlink. It must resolve inside the folder, or, for a snapshot of the
    // Hugging Face cache (<repo>/snapshots/<revision>/, whose files link to <repo>/blobs/), inside
    // the repository's blobs folder.
    const fs::path real_dir = fs::canonical(dir, ec);
    if (ec) fail("cannot resolve the model folder " + dir.string() + ": " + ec.message());
    std::vector<fs::path> allowed = {real_dir};
    if (real_dir.parent_path().filename() == "snapshots")
      allowed.push_back(real_dir.parent_path().parent_path() / "blobs");
    auto inside = [](const fs::path& p, const fs::path& folder) {
      const auto rel = p.lexically_relative(folder);
      return !rel.empty() && *rel.begin() != "..";
    };
    std::vector<fs::path> files;
    for (const auto& n : shard_names) {
      if (!fs::exists(dir / n, ec))
        fail(index.string() + ": shard '" + n + "' is missing from " + dir.string() +
             (ec ? " (" + ec.message() + ")" : ""));
      const fs::path real = fs::canonical(dir / n, ec);
      if (ec) fail(index.string() + ": cannot resolve shard '" + n + "': " + ec.message());
      if (std::none_of(allowed.begin(), allowed.end(), [&](const fs::path& a) { return inside(real, a); }))
        fail(index.string() + ": shard '" + n + "' links to " + real.string() + ", outside the model folder");
      files.push_back(dir / n);
    }
    return open_files(files);
  }
  fail("no model.safetensors or model.safetensors.index.json in " + dir.string() +
       (fs::exists(dir / "pytorch_model.bin", ec) ? " (only pytorch_model.bin, which tokprob does not read; "
                                                "convert it to safetensors)"
                                              : ""));
}

bool Weights::has(const std::string& name) const { return tensors_.count(name) != 0; }

const TensorView& Weights::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail("tensor '" + name + "' is missing from " + source());
  return it->second;
}

std::vector<std::string> Weights::names() const {
  std::vector<std::string> out;
  for (auto& [n, t] : tensors_) out.push_back(n);
  return out;
}

std::string Weights::source() const {
  std::string s;
  for (size_t i = 0; i < files_.size() && i < 3; ++i) s += (i ? ", " : "") + files_[i]->path().string();
  if (files_.size() > 3) s += ", ...";
  return s;
}

std::vector<std::filesystem::path> Weights::files() const {
  std::vector<std::filesystem::path> paths;
  for (const auto& f : files_) paths.push_back(f->path());
  return paths;
}

const TensorView& Weights::checked(const std::string& name, const std::vector<int64_t>& expected_shape) const {
  const TensorView& t = get(name);
  if (t.shape != expected_shape)
    fail("tensor '" + name + "' in " + t.file->path().string() + " has shape " + shape_string(t.shape) +
         ", the config implies " + shape_string(expected_shape));
  return t;
}

const TensorView& Weights::matrix(const std::string& name, const std::vector<int64_t>& expected_shape) const {
  const TensorView& t = checked(name, expected_shape);
  if (t.dtype != DType::f32 && t.dtype != DType::f16 && t.dtype != DType::bf16)
    fail("tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected F32, F16 or BF16");
  return t;
}

void Weights::release(const std::string& name) const {
  const TensorView& t = get(name);
  if (t.file) t.file->release(t.data, t.nbytes);
}

const float* Weights::f32(const std::string& name, const std::vector<int64_t>& expected_shape) const {
  const TensorView& t = checked(name, expected_shape);
  const size_t n = static_cast<size_t>(t.numel());
  if (t.dtype == DType::f32 && reinterpret_cast<uintptr_t>(t.data) % alignof(float) == 0)
    return reinterpret_cast<const float*>(t.data);
  if (auto it = converted_.find(name); it != converted_.end()) return it->second.data();
  if (t.dtype != DType::f32 && t.dtype != DType::f16 && t.dtype != DType::bf16 && t.dtype != DType::f64)
    fail("tensor '" + name + "' has dtype " + dtype_name(t.dtype) + ", expected a floating-point type");
  std::vector<float> out(n);
  const size_t size = dtype_size(t.dtype);
  // A stretch of stored bytes at a time, each dropped from resident memory once converted: the
  // stored matrix and its copy are never resident whole together (a peak the size of the largest
  // matrix, at the end of a load).
  constexpr size_t kStretchBytes = size_t{1} << 20;
  auto convert = [&](size_t i0, size_t i1) {
    const uint8_t* p = t.data + size * i0;
    float* dst = out.data() + i0;
    const size_t m = i1 - i0;
    switch (t.dtype) {
      case DType::f32: std::memcpy(dst, p, m * sizeof(float)); break;
      case DType::f16:
      case DType::bf16: {
        const bool bf = t.dtype == DType::bf16;
        for (size_t i = 0; i < m; ++i) {
          uint16_t v;
          std::memcpy(&v, p + 2 * i, 2);
          dst[i] = bf ? bf16_to_f32(v) : f16_to_f32(v);
        }
        break;
      }
      default:
        for (size_t i = 0; i < m; ++i) {
          double v;
          std::memcpy(&v, p + 8 * i, 8);
          dst[i] = static_cast<float>(v);
        }
    }
  };
  for (size_t i0 = 0; i0 < n; i0 += kStretchBytes / size) {
    const size_t i1 = std::min(n, i0 + kStretchBytes / size);
    convert(i0, i1);
    if (t.file) t.file->release(t.data + size * i0, size * (i1 - i0));
  }
  (*converted_bytes_)[name] = static_cast<int64_t>(n * sizeof(float));
  release(name);
  return converted_.emplace(name, std::move(out)).first->second.data();
}

}  // namespace tokprob
