// Text being normalized, with every normalized code point tied to the span of the input it came
// from, so that token offsets can be reported in the caller's text (as `tokenizers` does).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace tokprob::tok {

struct Span {
  size_t begin = 0, end = 0;  // code points of the original input
};

struct NormalizedString {
  std::u32string text;
  std::vector<Span> align;  // one per code point of `text`
  Span original;            // the part of the input this string stands for

  static NormalizedString from_input(std::u32string text, size_t base = 0);

  bool empty() const { return text.empty(); }
  std::string utf8() const;
  // [b, e) in code points of `text`; keeps the alignments into the original input.
  NormalizedString slice(size_t b, size_t e) const;
  Span original_of(size_t b, size_t e) const;

  // Replaces the text by `chars`; `source[i]` is the old code point whose alignment char i
  // inherits, or -1 for a code point with no source (it then takes an empty span where it stands).
  void transform(const std::u32string& chars, const std::vector<ptrdiff_t>& source);
  // Replaces the text by `chars` the way `tokenizers` transforms: `changes[i]` is 0 when char i
  // replaces the next input code point, -n when it replaces that one and the n after it, and +1
  // when it is added (it then takes the span of the code point replaced just before it). The spans
  // are handed out by position, so a count that does not add up shifts later spans, as there.
  void transform_counted(const std::u32string& chars, const std::vector<ptrdiff_t>& changes);
  // Maps every code point to zero or more code points that inherit its alignment.
  template <typename F>
  void map_each(F&& f) {
    std::u32string out;
    std::vector<ptrdiff_t> source;
    out.reserve(text.size());
    source.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      const size_t before = out.size();
      f(text[i], out);
      source.insert(source.end(), out.size() - before, static_cast<ptrdiff_t>(i));
    }
    transform(out, source);
  }
  // Both the prepended text and the old first code point align with that first code point.
  void prepend(std::u32string_view s);
  void append(std::u32string_view s);
};

}  // namespace tokprob::tok
