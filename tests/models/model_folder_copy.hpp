// A fixture model folder copied into a temporary folder (files linked, not copied), so that a test
// can replace config.json or drop a file without touching the shared fixtures.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fixtures.hpp"

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

  // Rewrites model.safetensors without the tensors whose names start with `prefix`.
  void drop_tensors(const std::string& prefix) const {
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
      if (it.key() == "__metadata__" || it.key().rfind(prefix, 0) == 0) continue;
      auto t = it.value();
      const auto b = t["data_offsets"][0].get<size_t>(), e = t["data_offsets"][1].get<size_t>();
      t["data_offsets"] = {kept_data.size(), kept_data.size() + (e - b)};
      kept_data += data.substr(b, e - b);
      kept[it.key()] = t;
    }
    const std::string h = kept.dump();
    const uint64_t hn = h.size();
    std::string file(reinterpret_cast<const char*>(&hn), 8);
    write("model.safetensors", file + h + kept_data);
  }

 private:
  std::filesystem::path src_, dir_;
};

}  // namespace tokprob::testing
