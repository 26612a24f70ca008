// Sorted, disjoint tables of code point ranges, for the few places where tokprob must follow the
// reference's (older) Unicode tables instead of utf8proc's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace tokprob::tok {

struct CodePointRange {
  char32_t first, last;
};

template <size_t N>
bool in_ranges(const CodePointRange (&table)[N], char32_t c) {
  const auto* it = std::upper_bound(std::begin(table), std::end(table), c,
                                    [](char32_t x, const CodePointRange& r) { return x < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}

}  // namespace tokprob::tok
