#include "server/request_fields.hpp"

#include <cmath>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

std::string type_name(const nlohmann::json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "an object";
  return "null";
}

[[noreturn]] void wrong_type(const std::string& name, const char* expected, const nlohmann::json& v) {
  usage_error("field '" + name + "' must be " + expected + ", got " + type_name(v));
}

}  // namespace

std::vector<int32_t> token_ids_from_json(const nlohmann::json& value, const std::string& name, int64_t vocab) {
  if (!value.is_array()) wrong_type(name, "a list of token ids", value);
  if (value.empty()) usage_error("field '" + name + "' is an empty list of token ids");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string element = name + "[" + std::to_string(i) + "]";
    if (!value[i].is_number_integer()) wrong_type(element, "a token id (an integer)", value[i]);
    const bool huge = value[i].is_number_unsigned() && value[i].get<uint64_t>() > uint64_t(INT64_MAX);
    if (huge || value[i].get<int64_t>() < 0 || value[i].get<int64_t>() >= vocab)
      usage_error("field '" + element + "' is token id " + value[i].dump() + ", outside the vocabulary [0, " +
                  std::to_string(vocab - 1) + "]");
    ids.push_back(static_cast<int32_t>(value[i].get<int64_t>()));
  }
  return ids;
}

RequestFields::RequestFields(const nlohmann::json& body) : body_(body) {
  if (!body.is_object()) usage_error("the request body must be a JSON object, got " + type_name(body));
}

const nlohmann::json* RequestFields::find(const std::string& name) {
  read_.insert(name);
  const auto it = body_.find(name);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool stream_include_usage(const nlohmann::json& stream_options) {
  if (!stream_options.is_object()) usage_error("field 'stream_options' must be an object");
  bool include_usage = false;
  for (const auto& [key, value] : stream_options.items()) {
    if (key != "include_usage") usage_error("unknown field 'stream_options." + key + "'");
    if (value.is_null()) continue;
    if (!value.is_boolean()) wrong_type("stream_options.include_usage", "true or false", value);
    include_usage = value.get<bool>();
  }
  return include_usage;
}

bool RequestFields::has(const std::string& name) const {
  const auto it = body_.find(name);
  return it != body_.end() && !it->is_null();
}

std::string RequestFields::string(const std::string& name) {
  auto s = optional_string(name);
  if (!s) usage_error("field '" + name + "' is missing");
  return *s;
}

std::optional<std::string> RequestFields::optional_string(const std::string& name) {
  const nlohmann::json* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(name, "a string", *v);
  return v->get<std::string>();
}

std::vector<std::string> RequestFields::strings(const std::string& name) {
  if (!has(name)) {
    read_.insert(name);
    usage_error("field '" + name + "' is missing");
  }
  auto out = optional_strings(name);
  if (out.empty()) usage_error("field '" + name + "' is an empty list");
  return out;
}

std::vector<std::string> RequestFields::optional_strings(const std::string& name) {
  const nlohmann::json* v = find(name);
  if (!v) return {};
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) wrong_type(name, "a string or a list of strings", *v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      usage_error("field '" + name + "[" + std::to_string(i) + "]' must be a string, got " + type_name((*v)[i]));
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

std::optional<int64_t> RequestFields::optional_integer(const std::string& name, int64_t min, int64_t max) {
  const nlohmann::json* v = find(name);
  if (!v) return std::nullopt;
  // 5.0 is accepted as 5: JavaScript clients cannot tell them apart.
  int64_t x = 0;
  if (v->is_number_integer() && !(v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX))) {
    x = v->get<int64_t>();
  } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
             v->get<double>() == std::floor(v->get<double>()) && std::fabs(v->get<double>()) < 9e18) {
    x = static_cast<int64_t>(v->get<double>());
  } else {
    wrong_type(name, "an integer", *v);
  }
  if (x < min || x > max)
    usage_error("field '" + name + "' is " + std::to_string(x) + ", outside [" + std::to_string(min) + ", " +
                std::to_string(max) + "]");
  return x;
}

std::vector<int64_t> RequestFields::optional_integers(const std::string& name, int64_t min, int64_t max) {
  const nlohmann::json* v = find(name);
  if (!v) return {};
  if (!v->is_array()) return {*optional_integer(name, min, max)};
  std::vector<int64_t> out;
  for (size_t i = 0; i < v->size(); ++i) {
    // Each element read through a one-field object so that it gets the same checks and names.
    const std::string element = name + "[" + std::to_string(i) + "]";
    const nlohmann::json one = {{element, (*v)[i]}};
    if ((*v)[i].is_null()) usage_error("field '" + element + "' must be an integer, got null");
    RequestFields f(one);
    out.push_back(*f.optional_integer(element, min, max));
  }
  return out;
}

int64_t RequestFields::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  return optional_integer(name, min, max).value_or(fallback);
}

double RequestFields::number(const std::string& name, double fallback, double min, double max) {
  const nlohmann::json* v = find(name);
  if (!v) return fallback;
  if (!v->is_number()) wrong_type(name, "a number", *v);
  const double x = v->get<double>();
  if (!(x >= min && x <= max))
    usage_error("field '" + name + "' is " + std::to_string(x) + ", outside [" + std::to_string(min) + ", " +
                std::to_string(max) + "]");
  return x;
}

bool RequestFields::boolean(const std::string& name, bool fallback) {
  const nlohmann::json* v = find(name);
  if (!v) return fallback;
  if (!v->is_boolean()) wrong_type(name, "true or false", *v);
  return v->get<bool>();
}

std::optional<nlohmann::json> RequestFields::value(const std::string& name) {
  const nlohmann::json* v = find(name);
  if (!v) return std::nullopt;
  return *v;
}

void RequestFields::ignore(const std::string& name) { read_.insert(name); }

void RequestFields::reject_unknown() const {
  for (const auto& [key, value] : body_.items())
    if (!read_.count(key)) usage_error("unknown field '" + key + "'");
}

}  // namespace tokprob
