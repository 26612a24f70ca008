// Text from outside (a user's text, bytes of a broken file) as an error line may show it: one
// line, valid UTF-8, and short.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tokprob {

// `text` with control characters and bytes that are not valid UTF-8 escaped as \n, \t, \r
// and \xHH; other characters kept.
std::string printable(std::string_view text);

// `text` in double quotes, printable, and cut after `max_chars` characters with an ellipsis and
// the full length ("a b c …" (3,214 characters)), so that an error never repeats a long text whole.
std::string quoted_excerpt(std::string_view text, size_t max_chars = 48);

}  // namespace tokprob
