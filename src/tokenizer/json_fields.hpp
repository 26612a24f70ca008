// Reading optional fields of tokenizer.json, where an absent field and a null one both mean
// "use the default".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tokprob::tok {

inline bool json_bool(const nlohmann::json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

inline std::string json_string(const nlohmann::json& j, const char* key, std::string fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

inline size_t json_size(const nlohmann::json& j, const char* key, size_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return fallback;
  return it->get<size_t>();
}

}  // namespace tokprob::tok
