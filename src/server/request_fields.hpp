// Typed access to the fields of a JSON request body. Every error is a usage error naming the
// field and what was wrong with it, so that a client sees which part of its request to fix.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tokprob {

// A list of token ids, each in [0, vocab); fails naming `name` (or the element, "name[3]") when
// the list is empty or an element is not such an id.
std::vector<int32_t> token_ids_from_json(const nlohmann::json& value, const std::string& name, int64_t vocab);

// stream_options.include_usage of a streamed request (OpenAI's only stream option); another key or
// a value that is not true or false fails naming "stream_options.<key>".
bool stream_include_usage(const nlohmann::json& stream_options);

class RequestFields {
 public:
  // Fails unless `body` is a JSON object.
  explicit RequestFields(const nlohmann::json& body);

  // Present and not null.
  bool has(const std::string& name) const;
  std::string string(const std::string& name);  // required
  std::optional<std::string> optional_string(const std::string& name);
  // A string or a list of strings (at least one; required).
  std::vector<std::string> strings(const std::string& name);
  // Like strings(), but absent means none.
  std::vector<std::string> optional_strings(const std::string& name);
  int64_t integer(const std::string& name, int64_t fallback, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  std::optional<int64_t> optional_integer(const std::string& name, int64_t min = std::numeric_limits<int64_t>::min(),
                                          int64_t max = std::numeric_limits<int64_t>::max());
  // A list of integers (or one integer), each in [min, max]; absent means none.
  std::vector<int64_t> optional_integers(const std::string& name, int64_t min, int64_t max);
  double number(const std::string& name, double fallback, double min, double max);
  bool boolean(const std::string& name, bool fallback);
  // The field as it is, for fields of several types.
  std::optional<nlohmann::json> value(const std::string& name);
  // Marks a field as known without reading it (accepted for compatibility, no effect).
  void ignore(const std::string& name);
  // Fails naming the first field that nothing read: catches typos like "topk".
  void reject_unknown() const;

 private:
  const nlohmann::json* find(const std::string& name);
  const nlohmann::json& body_;
  std::set<std::string> read_;
};

}  // namespace tokprob
