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

std::string base64_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kDigits[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kDigits[v & 63] : '=');
  }
  return out;
}

namespace {

// darts-clone unit layout: bit 8 = has_leaf, low 31 bits = value (on a leaf unit),
// label = bits 0-7 plus bit 31, offset = bits 10-31 shifted by 8 more when bit 9 is set.
uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xFFu); }
bool unit_has_leaf(uint32_t u) { return ((u >> 8) & 1u) == 1u; }
uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }

// libsentencepiece's common-prefix search keeps at most this many matches of one input.
constexpr unsigned kMaxNestedKeys = 32;

}  // namespace

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
  check_trie(where);
}

void PrecompiledCharsmap::check_trie(const std::string& where) const {
  // Walks every node an input can reach, the way darts-clone's unchecked search does: from a node
  // at base b the next byte c reads unit b ^ c, so the whole block [b & ~0xFF, b | 0xFF] must lie
  // in the array, and a leaf's value must index the strings. darts-clone shares common suffixes,
  // so nodes form a DAG (not a tree); a cycle means the map is corrupt. Along the way it counts the
  // most keys one input can match, which libsentencepiece's fixed-size result array caps.
  auto bad = [&](const char* what) { fail(where + ": precompiled_charsmap is malformed (" + what + ")"); };
  if (units_.empty()) bad("an empty trie");
  enum : uint8_t { kNew, kOpen, kDone };
  std::vector<uint8_t> state(units_.size(), kNew);
  std::vector<uint8_t> keys_below(units_.size(), 0);  // most keys matched from this base on
  struct Frame {
    size_t base;
    uint32_t next_byte = 0;
    unsigned most_keys = 0;
    unsigned child_leaf = 0;  // 1 when the child being walked ends a key
  };
  std::vector<Frame> stack;
  auto enter = [&](size_t base) {
    if ((base | 0xFFu) >= units_.size()) bad("a node's children lie outside the trie");
    state[base] = kOpen;
    stack.push_back({base});
  };
  enter(unit_offset(units_[0]));
  unsigned finished_keys = 0;  // keys_below of the frame just closed
  bool returning = false;
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (returning) {
      f.most_keys = std::max(f.most_keys, f.child_leaf + finished_keys);
      ++f.next_byte;
      returning = false;
    }
    bool descended = false;
    for (; f.next_byte < 256; ++f.next_byte) {
      const size_t child = f.base ^ f.next_byte;
      const uint32_t unit = units_[child];
      if (unit_label(unit) != f.next_byte) continue;
      const size_t base = child ^ unit_offset(unit);
      f.child_leaf = unit_has_leaf(unit) ? 1 : 0;
      if (f.child_leaf) {
        if (base >= units_.size()) bad("a value lies outside the trie");
        if (unit_value(units_[base]) >= normalized_.size()) bad("a replacement lies outside the strings");
      }
      if (base >= units_.size() || state[base] == kNew) {
        enter(base);  // may reallocate: `f` is not used after this
        descended = true;
        break;
      }
      if (state[base] == kOpen) bad("the trie has a cycle");
      f.most_keys = std::max(f.most_keys, f.child_leaf + keys_below[base]);
    }
    if (descended) continue;
    const Frame done = stack.back();
    stack.pop_back();
    if (done.most_keys > kMaxNestedKeys) bad("too many keys are prefixes of one another");
    state[done.base] = kDone;
    keys_below[done.base] = static_cast<uint8_t>(done.most_keys);
    finished_keys = done.most_keys;
    returning = true;
  }
}

std::optional<std::string_view> PrecompiledCharsmap::lookup(std::string_view chunk) const {
  size_t pos = unit_offset(units_[0]);
  for (char ch : chunk) {
    const auto byte = static_cast<unsigned char>(ch);
    pos ^= byte;  // in range: check_trie
    const uint32_t unit = units_[pos];
    if (unit_label(unit) != byte) return std::nullopt;
    pos ^= unit_offset(unit);
    if (unit_has_leaf(unit)) {
      const size_t index = unit_value(units_[pos]);
      const size_t stop = normalized_.find('\0', index);
      return std::string_view(normalized_).substr(index, (stop == std::string::npos ? normalized_.size() : stop) - index);
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::normalize(NormalizedString& s) const {
  std::u32string out;
  std::vector<ptrdiff_t> changes;
  bool modified = false;
  // Counts as `tokenizers` writes them for a replacement of `old_count` code points: 0 each, the
  // last ones +1 when it is longer, and when it is shorter the difference goes onto the last count
  // written so far, even one of an earlier grapheme (or nowhere at the very start, which shifts
  // the spans of what follows: its offsets do the same).
  auto emit = [&](std::string_view replacement, size_t old_count) {
    const std::u32string r = decode_utf8(replacement);
    for (char32_t c : r) {
      out.push_back(c);
      changes.push_back(0);
    }
    const auto diff = static_cast<ptrdiff_t>(r.size()) - static_cast<ptrdiff_t>(old_count);
    if (diff > 0) {
      for (size_t k = changes.size() - static_cast<size_t>(diff); k < changes.size(); ++k) changes[k] = 1;
    } else if (diff < 0 && !changes.empty()) {
      changes.back() += diff;
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
        emit(*r, ge - g);
        g = ge;
        continue;
      }
    }
    for (size_t i = g; i < ge; ++i) {
      std::string one;
      append_utf8(one, s.text[i]);
      if (auto r = lookup(one)) {
        modified = true;
        emit(*r, 1);
      } else {
        out.push_back(s.text[i]);
        changes.push_back(0);
      }
    }
    g = ge;
  }
  if (modified) s.transform_counted(out, changes);
}

}  // namespace tokprob::tok
