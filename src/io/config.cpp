#include "io/config.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "tokprob/error.hpp"

namespace tokprob {

Config Config::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), file);
}

Config Config::parse(std::string_view text, const std::filesystem::path& file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    fail(file.string() + ": not valid JSON (" + msg + ")");
  }
  if (!j.is_object()) fail(file.string() + ": expected a JSON object");
  return Config(std::move(j), file);
}

Config::Config(nlohmann::json json, std::filesystem::path file) : json_(std::move(json)), file_(std::move(file)) {}

void Config::bad(const std::string& key, const std::string& what) const {
  fail(file_.string() + ": \"" + key + "\" " + what);
}

bool Config::has(const std::string& key) const {
  auto it = json_.find(key);
  return it != json_.end() && !it->is_null();
}

int64_t Config::get_int(const std::string& key) const {
  if (!has(key)) bad(key, "is missing");
  const auto& v = json_.at(key);
  if (v.is_number_integer()) return v.get<int64_t>();
  // A float outside int64's range must not reach the cast (undefined behaviour; found by fuzzing).
  if (const double d = v.is_number_float() ? v.get<double>() : 0.5;
      d >= -9.2e18 && d <= 9.2e18 && d == std::trunc(d))
    return static_cast<int64_t>(d);
  bad(key, "must be an integer");
}

int64_t Config::get_int(const std::string& key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

int64_t Config::get_size(const std::string& key) const {
  const int64_t v = get_int(key);
  if (v <= 0 || v > (int64_t{1} << 31)) bad(key, "must be a positive integer, got " + std::to_string(v));
  return v;
}

int64_t Config::get_size(const std::string& key, int64_t fallback) const {
  return has(key) ? get_size(key) : fallback;
}

double Config::get_float(const std::string& key) const {
  if (!has(key)) bad(key, "is missing");
  const auto& v = json_.at(key);
  if (!v.is_number()) bad(key, "must be a number");
  return v.get<double>();
}

double Config::get_float(const std::string& key, double fallback) const {
  return has(key) ? get_float(key) : fallback;
}

double Config::get_nonnegative(const std::string& key, double fallback) const {
  const double v = get_float(key, fallback);
  if (!(v >= 0 && v <= std::numeric_limits<float>::max())) bad(key, "must be a finite number >= 0, got " + json_.at(key).dump());
  return v;
}

double Config::get_positive(const std::string& key, double fallback) const {
  const double v = get_float(key, fallback);
  if (!(v > 0 && v <= std::numeric_limits<float>::max())) bad(key, "must be a finite number > 0, got " + json_.at(key).dump());
  return v;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = json_.at(key);
  if (!v.is_boolean()) bad(key, "must be true or false");
  return v.get<bool>();
}

std::string Config::get_string(const std::string& key) const {
  if (!has(key)) bad(key, "is missing");
  const auto& v = json_.at(key);
  if (!v.is_string()) bad(key, "must be a string");
  return v.get<std::string>();
}

std::string Config::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::optional<std::string> Config::first_present(std::initializer_list<const char*> keys) const {
  for (const char* k : keys)
    if (has(k)) return std::string(k);
  return std::nullopt;
}

std::string Config::model_type() const { return get_string("model_type", ""); }

std::string Config::first_architecture() const {
  auto it = json_.find("architectures");
  if (it == json_.end() || !it->is_array() || it->empty() || !(*it)[0].is_string()) return "";
  return (*it)[0].get<std::string>();
}

}  // namespace tokprob
