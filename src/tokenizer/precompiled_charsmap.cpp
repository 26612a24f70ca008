#include "tokenizer/precompiled_charsmap.hpp"

#include <utf8proc.h>

#include <algorithm>

#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

std::string base64_decode(std::string_view text, const std::string& where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const int v = value(c);
    if (v < 0) fail(where + ": invalid base64 in precompiled_charsmap");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob, const std::string& where) {
  if (blob.size() < 4) fail(where + ": precompiled_charsmap is too short");
  uint32_t trie_size = 0;
  for (int k = 3; k >= 0; --k) trie_size = (trie_size << 8) | static_cast<unsigned char>(blob[static_cast<size_t>(k)]);
  if (trie_size % 4 != 0 || trie_size > blob.size() - 4) fail(where + ": precompiled_charsmap has a bad trie size");
  units_.resize(trie_size / 4);
  for (size_t i = 0; i < units_.size(); ++i) {
    uint32_t u = 0;
    for (int k = 3; k >= 0; --k) u = (u << 8) | static_cast<unsigned char>(blob[4 + i * 4 + static_cast<size_t>(k)]);
    units_[i] = u;
  }
  normalized_ = std::string(blob.substr(4 + trie_size));
}

std::optional<std::string_view> PrecompiledCharsmap::lookup(std::string_view chunk) const {
  // darts-clone unit layout: bit 8 = has_leaf, low 31 bits = value (on a leaf unit),
  // label = bits 0-7 plus bit 31, offset = bits 10-31 shifted by 8 more when bit 9 is set.
  auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
  auto label = [](uint32_t u) { return u & ((1u << 31) | 0xFFu); };
  auto has_leaf = [](uint32_t u) { return ((u >> 8) & 1u) == 1u; };
  if (units_.empty()) return std::nullopt;
  size_t pos = offset(units_[0]);
  for (char ch : chunk) {
    const auto byte = static_cast<unsigned char>(ch);
    pos ^= byte;
    if (pos >= units_.size()) return std::nullopt;
    const uint32_t unit = units_[pos];
    if (label(unit) != byte) return std::nullopt;
    pos ^= offset(unit);
    if (has_leaf(unit)) {
      if (pos >= units_.size()) return std::nullopt;
      const size_t index = units_[pos] & ((1u << 31) - 1);
      if (index >= normalized_.size()) return std::nullopt;
      const size_t stop = normalized_.find('\0', index);
      return std::string_view(normalized_).substr(index, (stop == std::string::npos ? normalized_.size() : stop) - index);
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::normalize(NormalizedString& s) const {
  std::u32string out;
  std::vector<ptrdiff_t> source;
  bool modified = false;
  // Replacement text for source code points [b, e): the first output code point takes the first
  // source's alignment, later ones the next sources' while there are any (then the last one's).
  auto emit = [&](std::string_view replacement, size_t b, size_t e) {
    const std::u32string r = decode_utf8(replacement);
    for (size_t k = 0; k < r.size(); ++k) {
      out.push_back(r[k]);
      source.push_back(static_cast<ptrdiff_t>(std::min(b + k, e - 1)));
    }
  };
  size_t g = 0;
  const size_t n = s.text.size();
  while (g < n) {
    // Extended grapheme cluster [g, ge).
    size_t ge = g + 1;
    utf8proc_int32_t state = 0;
    while (ge < n && !utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(s.text[ge - 1]),
                                                       static_cast<utf8proc_int32_t>(s.text[ge]), &state))
      ++ge;
    const std::string grapheme = to_utf8(std::u32string_view(s.text).substr(g, ge - g));
    if (grapheme.size() < 6) {
      if (auto r = lookup(grapheme)) {
        modified = true;
        emit(*r, g, ge);
        g = ge;
        continue;
      }
    }
    for (size_t i = g; i < ge; ++i) {
      std::string one;
      append_utf8(one, s.text[i]);
      if (auto r = lookup(one)) {
        modified = true;
        emit(*r, i, i + 1);
      } else {
        out.push_back(s.text[i]);
        source.push_back(static_cast<ptrdiff_t>(i));
      }
    }
    g = ge;
  }
  if (modified) s.transform(out, source);
}

}  // namespace tokprob::tok
