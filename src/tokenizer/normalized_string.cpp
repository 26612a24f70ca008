#include "tokenizer/normalized_string.hpp"

#include <algorithm>

#include "tokenizer/unicode_text.hpp"

namespace tokprob::tok {

NormalizedString NormalizedString::from_input(std::u32string text, size_t base) {
  NormalizedString n;
  n.align.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) n.align[i] = {base + i, base + i + 1};
  n.original = {base, base + text.size()};
  n.text = std::move(text);
  return n;
}

std::string NormalizedString::utf8() const { return to_utf8(text); }

Span NormalizedString::original_of(size_t b, size_t e) const {
  if (b < e && e <= text.size()) return {align[b].begin, align[e - 1].end};
  if (b < text.size()) return {align[b].begin, align[b].begin};
  return {original.end, original.end};
}

NormalizedString NormalizedString::slice(size_t b, size_t e) const {
  NormalizedString n;
  n.text = text.substr(b, e - b);
  n.align.assign(align.begin() + static_cast<ptrdiff_t>(b), align.begin() + static_cast<ptrdiff_t>(e));
  n.original = original_of(b, e);
  return n;
}

void NormalizedString::transform(const std::u32string& chars, const std::vector<ptrdiff_t>& source) {
  std::vector<Span> next(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    if (source[i] >= 0 && static_cast<size_t>(source[i]) < align.size()) {
      next[i] = align[static_cast<size_t>(source[i])];
    } else {
      // An inserted code point sits where the previous output ended.
      const size_t at = i > 0 ? next[i - 1].end : original.begin;
      next[i] = {at, at};
    }
  }
  text = chars;
  align = std::move(next);
}

void NormalizedString::transform_counted(const std::u32string& chars, const std::vector<ptrdiff_t>& changes) {
  std::vector<Span> next(chars.size());
  size_t consumed = 0;  // code points of the old text accounted for so far
  for (size_t i = 0; i < chars.size(); ++i) {
    if (changes[i] > 0) {
      next[i] = consumed > 0 ? align[std::min(consumed, align.size()) - 1] : Span{original.begin, original.begin};
    } else if (consumed < align.size()) {
      next[i] = align[consumed];
      consumed += static_cast<size_t>(1 - changes[i]);
    } else {
      next[i] = {original.end, original.end};
    }
  }
  text = chars;
  align = std::move(next);
}

void NormalizedString::prepend(std::u32string_view s) {
  if (text.empty() || s.empty()) return;
  const Span first = align.front();
  text.insert(0, s);
  align.insert(align.begin(), s.size(), first);
}

void NormalizedString::append(std::u32string_view s) {
  if (text.empty() || s.empty()) return;
  const Span last = align.back();
  text.append(s);
  align.insert(align.end(), s.size(), last);
}

}  // namespace tokprob::tok
