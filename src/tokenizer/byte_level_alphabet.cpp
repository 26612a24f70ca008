#include "tokenizer/byte_level_alphabet.hpp"

namespace tokprob::tok {

namespace {
bool printable_byte(unsigned b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }
}  // namespace

const std::array<char32_t, 256>& byte_to_char() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (unsigned b = 0; b < 256; ++b) t[b] = printable_byte(b) ? static_cast<char32_t>(b) : next++;
    return t;
  }();
  return table;
}

std::optional<uint8_t> char_to_byte(char32_t c) {
  if (c < 256 && printable_byte(static_cast<unsigned>(c))) return static_cast<uint8_t>(c);
  if (c >= 256 && c < 256 + 68) {
    // The non-printable bytes, in increasing order, took U+0100.. in turn.
    unsigned index = c - 256;
    for (unsigned b = 0; b < 256; ++b) {
      if (printable_byte(b)) continue;
      if (index == 0) return static_cast<uint8_t>(b);
      --index;
    }
  }
  return std::nullopt;
}

}  // namespace tokprob::tok
