// GPT-2's byte <-> printable code point table: bytes that are printable Latin-1 stand for
// themselves, the rest are moved to U+0100 upwards (so the space byte reads 'Ġ', newline 'Ċ').
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace tokprob::tok {

const std::array<char32_t, 256>& byte_to_char();
std::optional<uint8_t> char_to_byte(char32_t c);

}  // namespace tokprob::tok
