// jinja2's tests (`x is defined`, `x is string`, ...).
#pragma once

#include <string>

#include "chat/jinja_value.hpp"

namespace tokprob::jinja {

bool has_test(const std::string& name);
// `args.positional[0]` is the tested value.
bool apply_test(const std::string& name, const CallArgs& args);

}  // namespace tokprob::jinja
