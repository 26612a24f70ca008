#include "format/text_cells.hpp"

#include <utf8proc.h>

#include <cmath>
#include <cstdio>

namespace tokprob {

std::string visible_token(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case ' ': out += "␣"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (out.empty()) out = "∅";
  return out;
}

std::string shown_token(std::string_view token, std::string_view text) {
  const bool partial = text.find("\xEF\xBF\xBD") != std::string_view::npos;
  return visible_token(partial && !token.empty() ? token : text);
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // invalid byte: counts as one column, as a terminal shows a replacement
      ++width;
      ++p;
      --left;
      continue;
    }
    width += static_cast<size_t>(std::max(0, utf8proc_charwidth(cp)));
    p += n;
    left -= n;
  }
  return width;
}

std::string bar(double fraction, int width) {
  static const char* eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (!(fraction > 0)) return "";
  const int total = static_cast<int>(std::lround(std::min(fraction, 1.0) * width * 8));
  std::string out;
  for (int i = 0; i < total / 8; ++i) out += "█";
  out += eighths[total % 8];
  if (out.empty()) out = "▏";  // something visible for a non-zero probability
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos && !text.empty() && text.front() != ' ' &&
      text.back() != ' ')
    return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string fixed(double v, int digits) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string percent(double prob) {
  char buf[32];
  const double pct = prob * 100.0;
  if (pct >= 0.01 || pct == 0.0)
    std::snprintf(buf, sizeof buf, "%.2f%%", pct);
  else
    std::snprintf(buf, sizeof buf, "%.2g%%", pct);
  return buf;
}

}  // namespace tokprob
