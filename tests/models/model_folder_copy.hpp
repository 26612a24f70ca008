// A fixture model folder copied into a temporary folder (files linked, not copied), so that a test
// can replace config.json or drop a file without touching the shared fixtures.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <cstring>
#include <iterator>
#include <string>

#include "fixtures.hpp"
#include "io/safetensors.hpp"

namespace tokprob::testing {

class ModelFolderCopy {
 public:
  ModelFolderCopy(const std::string& fixture, const std::string& tag)
      : src_(fixtures_dir() / fixture),
        dir_(std::filesystem::temp_directory_path() /
             ("tokprob_" + fixture + "_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const auto& e : std::filesystem::directory_iterator(src_))
      std::filesystem::create_symlink(e.path(), dir_ / e.path().filename());
  }
  ~ModelFolderCopy() { std::filesystem::remove_all(dir_); }
  ModelFolderCopy(const ModelFolderCopy&) = delete;
  ModelFolderCopy& operator=(const ModelFolderCopy&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  nlohmann::json config() const { return load_json(src_ / "config.json"); }
  void write(const std::string& name, const std::string& content) const {
    std::filesystem::remove(dir_ / name);
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  void write_config(const nlohmann::json& config) const { write("config.json", config.dump()); }

  // Rewrites model.safetensors tensor by tensor: `edit` may rename a tensor, change its dtype and
  // shape in `info` and its bytes, or return false to drop it.
  using TensorEdit = std::function<bool(std::string& name, nlohmann::json& info, std::string& bytes)>;
  struct ExtraTensor {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  // `extra` tensors are appended (buffers some checkpoints carry that the model never reads).
  void rewrite_tensors(const TensorEdit& edit, const std::vector<ExtraTensor>& extra = {}) const {
    std::ifstream in(src_ / "model.safetensors", std::ios::binary);
    uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), 8);
    std::string header(n, '\0');
    in.read(header.data(), static_cast<std::streamsize>(n));
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto old = nlohmann::json::parse(header);
    nlohmann::json kept = nlohmann::json::object();
    std::string kept_data;
    for (auto it = old.begin(); it != old.end(); ++it) {
      if (it.key() == "__metadata__") continue;
      std::string name = it.key();
      auto info = it.value();
      const auto b = info["data_offsets"][0].get<size_t>(), e = info["data_offsets"][1].get<size_t>();
      std::string bytes = data.substr(b, e - b);
      if (!edit(name, info, bytes)) continue;
      info["data_offsets"] = {kept_data.size(), kept_data.size() + bytes.size()};
      kept_data += bytes;
      kept[name] = info;
    }
    for (const auto& t : extra) {
      kept[t.name] = {{"dtype", t.dtype}, {"shape", t.shape},
                      {"data_offsets", {kept_data.size(), kept_data.size() + t.bytes.size()}}};
      kept_data += t.bytes;
    }
    const std::string h = kept.dump();
    const uint64_t hn = h.size();
    std::string file(reinterpret_cast<const char*>(&hn), 8);
    write("model.safetensors", file + h + kept_data);
  }

  // Rewrites model.safetensors without the tensors whose names start with `prefix`.
  void drop_tensors(const std::string& prefix) const {
    rewrite_tensors([&](std::string& name, nlohmann::json&, std::string&) { return name.rfind(prefix, 0) != 0; });
  }

  // Rewrites model.safetensors with every F32 tensor stored as F16.
  void store_as_f16() const {
    rewrite_tensors([](std::string&, nlohmann::json& info, std::string& bytes) {
      if (info["dtype"] != "F32") return true;
      std::string half(bytes.size() / 2, '\0');
      for (size_t i = 0; i < bytes.size() / 4; ++i) {
        float v;
        std::memcpy(&v, bytes.data() + 4 * i, 4);
        const uint16_t h = f32_to_f16(v);
        std::memcpy(half.data() + 2 * i, &h, 2);
      }
      bytes = std::move(half);
      info["dtype"] = "F16";
      return true;
    });
  }

 private:
  std::filesystem::path src_, dir_;
};

}  // namespace tokprob::testing
