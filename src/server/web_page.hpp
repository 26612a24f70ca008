// The single page served at "/": HTML, CSS and script in one string, no external assets.
#pragma once

#include <string_view>

namespace tokprob {

std::string_view index_html();

}  // namespace tokprob
