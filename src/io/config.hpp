// config.json of a Hugging Face model folder, with typed reads whose errors name the file and key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tokprob {

class Config {
 public:
  static Config load(const std::filesystem::path& file);
  // The text of a config.json; `file` names it in messages.
  static Config parse(std::string_view text, const std::filesystem::path& file);
  Config(nlohmann::json json, std::filesystem::path file);

  const nlohmann::json& json() const { return json_; }
  const std::filesystem::path& file() const { return file_; }

  // A key holding JSON null reads as absent.
  bool has(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  // Positive integer (sizes, counts); throws naming the key otherwise.
  int64_t get_size(const std::string& key) const;
  int64_t get_size(const std::string& key, int64_t fallback) const;
  double get_float(const std::string& key) const;
  double get_float(const std::string& key, double fallback) const;
  // A number a float holds, ≥ 0 (epsilons) or > 0 (bases, factors): anything else would put NaN
  // or infinity into the model's arithmetic; throws naming the key.
  double get_nonnegative(const std::string& key, double fallback) const;
  double get_positive(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  // The first of several alternative names that is present (configs rename keys across versions).
  std::optional<std::string> first_present(std::initializer_list<const char*> keys) const;

  std::string model_type() const;            // "" when absent
  std::string first_architecture() const;    // "" when absent

 private:
  [[noreturn]] void bad(const std::string& key, const std::string& what) const;
  nlohmann::json json_;
  std::filesystem::path file_;
};

}  // namespace tokprob
