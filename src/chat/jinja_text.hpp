// Python's str methods over UTF-8 text, code point by code point as Python's str sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokprob::jinja {

// Python's str.isspace() for one code point.
bool is_python_space(char32_t c);

std::u32string utf8_to_code_points(std::string_view text);
std::string code_points_to_utf8(std::u32string_view text);
// The code point starting at byte `pos` and its length in bytes.
char32_t decode_one_code_point(std::string_view text, size_t pos, size_t& length);

// str.strip / lstrip / rstrip: `chars` absent strips Python whitespace.
std::string python_strip(const std::string& text, const std::optional<std::string>& chars, bool left, bool right);
// str.split(sep, maxsplit): no `sep` splits on runs of whitespace and drops empty ends.
std::vector<std::string> python_split(const std::string& text, const std::optional<std::string>& sep,
                                      int64_t maxsplit);
std::string python_replace(const std::string& text, const std::string& old, const std::string& replacement,
                           int64_t count);
std::string python_upper(const std::string& text);
std::string python_lower(const std::string& text);
std::string python_title(const std::string& text);
std::string python_capitalize(const std::string& text);

}  // namespace tokprob::jinja
