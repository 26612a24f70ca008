#include "format/quoted_text.hpp"

#include <cstdint>
#include <cstdio>

namespace tokprob {

namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 when the byte there does not start one
// (overlong forms, surrogates and code points past U+10FFFF are invalid, as Python decodes).
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_escaped_byte(std::string& out, uint8_t c) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
}

// Appends the printable form of `text`, at most `max_chars` characters of it; returns how many
// characters `text` has in all.
size_t append_printable(std::string& out, std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    const size_t n = utf8_length(text, i);
    const auto c = static_cast<uint8_t>(text[i]);
    if (chars < max_chars) {
      if (n == 0 || c < 0x20 || c == 0x7F) append_escaped_byte(out, c);
      else out.append(text.substr(i, n));
    }
    i += n == 0 ? 1 : n;
  }
  return chars;
}

std::string with_thousands(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  append_printable(out, text, SIZE_MAX);
  return out;
}

std::string quoted_excerpt(std::string_view text, size_t max_chars) {
  std::string out = "\"";
  const size_t chars = append_printable(out, text, max_chars);
  if (chars <= max_chars) return out + "\"";
  return out + "…\" (" + with_thousands(chars) + " characters)";
}

}  // namespace tokprob
