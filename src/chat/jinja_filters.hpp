// jinja2's filters (`x | trim`, `x | tojson`, ...), with transformers' tojson in place of jinja2's.
#pragma once

#include <string>

#include "chat/jinja_value.hpp"

namespace tokprob::jinja {

bool has_filter(const std::string& name);
// `args.positional[0]` is the filtered value.
Value apply_filter(const std::string& name, const CallArgs& args);

}  // namespace tokprob::jinja
