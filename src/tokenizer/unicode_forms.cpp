#include "tokenizer/unicode_forms.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "tokenizer/code_point_ranges.hpp"

namespace tokprob::tok {

namespace {

// A normalized code point and its count for NormalizedString::transform_counted: +1 for a code
// point a decomposition added, -n for a composition that absorbed n more (so a composed
// character keeps its first input's span, as in `tokenizers`).
struct Counted {
  char32_t c;
  ptrdiff_t change;
};

// Where the reference's (older) normalization tables depart from utf8proc's: marks added since,
// which are starters there (neither reordered nor blocking a composition), and characters it does
// not decompose (nor compose back). Written by tests/tokenizer/make_reference_normalization_tables.py
// from the reference itself.
constexpr CodePointRange kStartersInReference[] = {{0x7FD, 0x7FD}, {0x898, 0x89F}, {0x8CA, 0x8D3}, {0x9FE, 0x9FE}, {0xC3C, 0xC3C}, {0xD3B, 0xD3C}, {0xEBA, 0xEBA}, {0x1715, 0x1715}, {0x1ABF, 0x1ACE}, {0x1DF6, 0x1DFA}, {0xA82C, 0xA82C}, {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11070, 0x11070}, {0x1133B, 0x1133B}, {0x1145E, 0x1145E}, {0x11839, 0x1183A}, {0x1193D, 0x1193E}, {0x11943, 0x11943}, {0x119E0, 0x119E0}, {0x11A34, 0x11A34}, {0x11A47, 0x11A47}, {0x11A99, 0x11A99}, {0x11D42, 0x11D42}, {0x11D44, 0x11D45}, {0x11D97, 0x11D97}, {0x11F41, 0x11F42}, {0x16FF0, 0x16FF1}, {0x1E08F, 0x1E08F}, {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF}};
constexpr CodePointRange kNoCanonicalDecompositionInReference[] = {{0x11938, 0x11938}};
constexpr CodePointRange kNoCompatDecompositionInReference[] = {{0x32FF, 0x32FF}, {0xA7F2, 0xA7F4}, {0xAB69, 0xAB69}, {0x10781, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x11938, 0x11938}, {0x1E030, 0x1E06D}, {0x1F16C, 0x1F16C}, {0x1FBF0, 0x1FBF9}};

int combining_class(char32_t c) {
  if (in_ranges(kStartersInReference, c)) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

void decompose_into(std::vector<Counted>& out, char32_t c, bool compat) {
  if (compat ? in_ranges(kNoCompatDecompositionInReference, c) : in_ranges(kNoCanonicalDecompositionInReference, c)) {
    out.push_back({c, 0});
    return;
  }
  std::array<utf8proc_int32_t, 32> buf{};
  const int options = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf.data(),
                                         static_cast<utf8proc_ssize_t>(buf.size()), static_cast<utf8proc_option_t>(options),
                                         nullptr);
  if (n <= 0 || static_cast<size_t>(n) > buf.size()) {
    out.push_back({c, 0});
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out.push_back({static_cast<char32_t>(buf[static_cast<size_t>(i)]), i == 0 ? 0 : 1});
}

// Canonical ordering: each run of non-starters is stably sorted by combining class.
void reorder(std::vector<Counted>& v) {
  size_t i = 0;
  while (i < v.size()) {
    if (combining_class(v[i].c) == 0) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < v.size() && combining_class(v[e].c) != 0) ++e;
    std::stable_sort(v.begin() + static_cast<ptrdiff_t>(i), v.begin() + static_cast<ptrdiff_t>(e),
                     [](const Counted& a, const Counted& b) { return combining_class(a.c) < combining_class(b.c); });
    i = e;
  }
}

// The primary composite of a pair, if there is one (utf8proc composes the pair or leaves it).
std::optional<char32_t> compose_pair(char32_t a, char32_t b) {
  std::array<utf8proc_int32_t, 2> pair{static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  const auto n = utf8proc_normalize_utf32(pair.data(), 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
  if (n == 1 && !in_ranges(kNoCanonicalDecompositionInReference, static_cast<char32_t>(pair[0])))
    return static_cast<char32_t>(pair[0]);
  return std::nullopt;
}

// Canonical composition; a code point composed into its starter adds its count to the starter's,
// less the one code point the composition removed.
std::vector<Counted> compose(const std::vector<Counted>& v) {
  std::vector<Counted> out;
  out.reserve(v.size());
  std::optional<size_t> starter;  // index in `out`
  int last_class = -1;            // class of the last code point kept after the starter; -1: none
  for (const Counted& x : v) {
    const int cls = combining_class(x.c);
    if (starter) {
      const bool blocked = last_class != -1 && (last_class == 0 || last_class >= cls);
      if (!blocked) {
        if (auto r = compose_pair(out[*starter].c, x.c)) {
          out[*starter].c = *r;
          out[*starter].change += x.change - 1;
          continue;
        }
      }
    }
    out.push_back(x);
    if (cls == 0) {
      starter = out.size() - 1;
      last_class = -1;
    } else {
      last_class = cls;
    }
  }
  return out;
}

}  // namespace

void unicode_normalize(NormalizedString& s, UnicodeForm form) {
  if (s.text.empty()) return;
  const bool compat = form == UnicodeForm::nfkc || form == UnicodeForm::nfkd;
  std::vector<Counted> v;
  v.reserve(s.text.size());
  for (char32_t c : s.text) decompose_into(v, c, compat);
  reorder(v);
  if (form == UnicodeForm::nfc || form == UnicodeForm::nfkc) v = compose(v);

  std::u32string out;
  std::vector<ptrdiff_t> changes;
  out.reserve(v.size());
  changes.reserve(v.size());
  for (const Counted& x : v) {
    out.push_back(x.c);
    changes.push_back(x.change);
  }
  s.transform_counted(out, changes);
}

}  // namespace tokprob::tok
