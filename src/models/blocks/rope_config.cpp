#include "models/blocks/rope_config.hpp"

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

const std::map<std::string, RopeScaling>& rope_types() {
  static const std::map<std::string, RopeScaling> t = {
      {"default", RopeScaling::none}, {"linear", RopeScaling::linear}, {"dynamic", RopeScaling::dynamic},
      {"yarn", RopeScaling::yarn},    {"llama3", RopeScaling::llama3}, {"longrope", RopeScaling::longrope},
  };
  return t;
}

// The keys modeling_rope_utils.py reads for each type; any other would change nothing there, but a
// key we do not know may be one a newer reference reads, so it is refused rather than ignored.
const std::set<std::string>& keys_of(RopeScaling type) {
  static const std::set<std::string> common = {"rope_type", "type", "rope_theta", "partial_rotary_factor"};
  static const std::map<RopeScaling, std::set<std::string>> extra = {
      {RopeScaling::none, {}},
      {RopeScaling::linear, {"factor"}},
      {RopeScaling::dynamic, {"factor"}},
      {RopeScaling::yarn,
       {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
        "mscale_all_dim", "truncate"}},
      {RopeScaling::llama3, {"factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"}},
      {RopeScaling::longrope,
       {"factor", "original_max_position_embeddings", "attention_factor", "short_factor", "long_factor"}},
  };
  static std::map<RopeScaling, std::set<std::string>> all;
  if (all.empty())
    for (auto& [t, keys] : extra) {
      all[t] = common;
      all[t].insert(keys.begin(), keys.end());
    }
  return all.at(type);
}

}  // namespace

RopeParams read_rope_params(const Config& config, int64_t head_dim) {
  const std::string file = config.file().string();
  const nlohmann::json& top = config.json();
  // transformers takes rope_scaling when it is set, else rope_parameters.
  std::string where = file + " rope_scaling";
  nlohmann::json rs = nlohmann::json::object();
  if (top.contains("rope_scaling") && !top["rope_scaling"].is_null()) {
    rs = top["rope_scaling"];
  } else if (top.contains("rope_parameters") && !top["rope_parameters"].is_null()) {
    rs = top["rope_parameters"];
    where = file + " rope_parameters";
  }
  if (!rs.is_object()) fail(where + ": expected an object or null");

  auto number = [&](const char* key, double fallback) {
    if (!rs.contains(key) || rs[key].is_null()) return fallback;
    if (!rs[key].is_number()) fail(where + ": \"" + key + "\" must be a number");
    const double v = rs[key].get<double>();
    if (!std::isfinite(v)) fail(where + ": \"" + key + "\" must be finite");
    return v;
  };
  auto positive = [&](const char* key, double fallback) {
    const double v = number(key, fallback);
    if (!(v > 0)) fail(where + ": \"" + key + "\" must be positive");
    return v;
  };
  auto required = [&](const char* key) {
    if (!rs.contains(key) || rs[key].is_null()) fail(where + ": \"" + key + "\" is required for this rope type");
    return positive(key, 0);
  };

  std::string name = "default";
  for (const char* key : {"type", "rope_type"})  // rope_type wins when both are given
    if (rs.contains(key)) {
      if (!rs[key].is_string()) fail(where + ": \"" + key + "\" must be a string");
      name = rs[key].get<std::string>();
    }
  const auto type = rope_types().find(name);
  if (type == rope_types().end())
    fail(where + ": rope type '" + name + "' is not supported (supported: default, linear, dynamic, yarn, llama3, longrope)");
  for (auto& [key, value] : rs.items())
    if (!keys_of(type->second).count(key))
      fail(where + ": key \"" + key + "\" is not one the '" + name + "' rope type reads");

  RopeParams p;
  p.scaling = type->second;
  p.head_dim = head_dim;
  p.theta = positive("rope_theta", config.get_positive("rope_theta", 10000.0));
  double partial = 1.0;
  if (rs.contains("partial_rotary_factor")) {
    partial = positive("partial_rotary_factor", 1.0);
  } else if (auto key = config.first_present({"partial_rotary_factor", "rotary_pct"})) {
    partial = config.get_positive(*key, 1.0);
  }
  if (partial > 1.0) fail(where + ": partial_rotary_factor " + std::to_string(partial) + " is above 1");
  p.rotary_dim = static_cast<int64_t>(static_cast<double>(head_dim) * partial);
  p.max_positions = config.get_size("max_position_embeddings");

  if (p.scaling == RopeScaling::linear || p.scaling == RopeScaling::dynamic || p.scaling == RopeScaling::llama3)
    p.factor = required("factor");
  if (p.scaling == RopeScaling::llama3 || p.scaling == RopeScaling::yarn || p.scaling == RopeScaling::longrope) {
    // A top-level original_max_position_embeddings (Phi-3) takes priority over the rope object's.
    if (config.has("original_max_position_embeddings")) {
      p.original_max_positions = config.get_size("original_max_position_embeddings");
    } else if (rs.contains("original_max_position_embeddings")) {
      const auto& v = rs["original_max_position_embeddings"];
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > (int64_t{1} << 31))
        fail(where + ": \"original_max_position_embeddings\" must be a positive integer");
      p.original_max_positions = v.get<int64_t>();
    } else {
      p.original_max_positions = p.max_positions;
    }
    if (p.original_max_positions < 1) fail(where + ": original_max_position_embeddings must be positive");
    const double implied = static_cast<double>(p.max_positions) / static_cast<double>(p.original_max_positions);
    if (p.scaling != RopeScaling::llama3) p.factor = positive("factor", implied);
    p.attention_factor = number("attention_factor", 0.0);
    if (p.attention_factor < 0) fail(where + ": \"attention_factor\" must not be negative");
  }
  if (p.scaling == RopeScaling::llama3) {
    p.low_freq_factor = required("low_freq_factor");
    p.high_freq_factor = required("high_freq_factor");
  }
  if (p.scaling == RopeScaling::yarn) {
    // `or` in the reference: 0 and null both mean the default.
    p.beta_fast = number("beta_fast", 0) != 0 ? number("beta_fast", 0) : 32.0;
    p.beta_slow = number("beta_slow", 0) != 0 ? number("beta_slow", 0) : 1.0;
    p.mscale = number("mscale", 0.0);
    p.mscale_all_dim = number("mscale_all_dim", 0.0);
    if (rs.contains("truncate")) {
      if (!rs["truncate"].is_boolean()) fail(where + ": \"truncate\" must be true or false");
      p.truncate = rs["truncate"].get<bool>();
    }
  }
  if (p.scaling == RopeScaling::longrope) {
    for (auto [key, out] : {std::pair{"short_factor", &p.short_factor}, std::pair{"long_factor", &p.long_factor}}) {
      if (!rs.contains(key) || !rs[key].is_array()) fail(where + ": \"" + key + "\" must be a list of numbers");
      for (auto& v : rs[key]) {
        if (!v.is_number() || !(v.get<double>() > 0)) fail(where + ": \"" + key + "\" must hold positive numbers");
        out->push_back(v.get<double>());
      }
    }
  }
  return p;
}

}  // namespace tokprob
