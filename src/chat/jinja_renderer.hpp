// Renders a parsed template over a set of variables, with jinja2's scoping: `set` inside a loop
// body lasts for that iteration only, `if` opens no scope, a macro sees the template's globals.
#pragma once

#include <string>
#include <unordered_map>

#include "chat/jinja_ast.hpp"

namespace tokprob::jinja {

using Variables = std::unordered_map<std::string, Value>;

// Throws tokprob::Error "chat template: unknown filter 'x'" (or test) when the template names one
// this engine lacks, as jinja2 refuses such a template when it compiles it.
void check_template_names(const Template& t);

// Throws tokprob::Error "chat template: line N: ..." when rendering fails, and the message of
// raise_exception(message) as "chat template raised an exception: message".
std::string render_template(const Template& t, const Variables& variables);

}  // namespace tokprob::jinja
