// Jinja's grammar (jinja2 3.x precedence) over the lexer's tokens.
#pragma once

#include <string_view>

#include "chat/jinja_ast.hpp"

namespace tokprob::jinja {

// Throws tokprob::Error "chat template: line N: ..." on a syntax error.
Template parse_template(std::string_view source);

}  // namespace tokprob::jinja
