// A decoder's model folder written by a test: config.json and model.safetensors (F32), with every
// tensor the test names. Layer weights are zero, so each block adds nothing and the logits are the
// head applied to the final norm of the (scaled) embedding, which a test computes on its own.
#pragma once

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tokprob::testing {

struct TinyTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // empty: zeros
};

class TinyDecoderFolder {
 public:
  explicit TinyDecoderFolder(const std::string& tag)
      : dir_(std::filesystem::temp_directory_path() / ("tokprob_tiny_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TinyDecoderFolder() { std::filesystem::remove_all(dir_); }
  TinyDecoderFolder(const TinyDecoderFolder&) = delete;
  TinyDecoderFolder& operator=(const TinyDecoderFolder&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  void write(const nlohmann::json& config, const std::map<std::string, TinyTensor>& tensors) const {
    std::ofstream(dir_ / "config.json") << config.dump();
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& [name, t] : tensors) {
      int64_t n = 1;
      for (int64_t d : t.shape) n *= d;
      std::vector<float> v = t.values.empty() ? std::vector<float>(n, 0.0f) : t.values;
      const size_t begin = data.size();
      data.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
      header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');
    const uint64_t len = h.size();
    std::ofstream out(dir_ / "model.safetensors", std::ios::binary);
    out.write(reinterpret_cast<const char*>(&len), 8);
    out << h << data;
  }

 private:
  std::filesystem::path dir_;
};

// Deterministic values in [-1, 1) for a tensor of n elements.
inline std::vector<float> tiny_values(int64_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = static_cast<float>(seed >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return v;
}

}  // namespace tokprob::testing
