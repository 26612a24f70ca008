// Python's json.dumps, which transformers' `tojson` filter calls (unlike jinja2's own tojson it
// escapes no HTML characters and keeps non-ASCII text unless ensure_ascii is set).
#pragma once

#include <optional>
#include <string>

#include "chat/jinja_value.hpp"

namespace tokprob::jinja {

struct JsonDumpOptions {
  std::optional<std::string> indent;  // json.dumps(indent=n) as n spaces, or the indent string
  std::optional<std::string> item_separator, key_separator;
  bool sort_keys = false;
  bool ensure_ascii = false;
};

std::string python_json_dumps(const Value& value, const JsonDumpOptions& options);

}  // namespace tokprob::jinja
