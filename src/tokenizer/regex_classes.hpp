// tokenizer.json patterns are Oniguruma patterns: `tokenizers` matches \p{L}, \d, \w, \s... with
// Oniguruma's definitions and Unicode tables (16.0), tokprob compiles them with PCRE2, whose tables
// are older (PCRE2 10.42: Unicode 14.0) and whose \w and \s differ. Before compiling, each of these
// classes is spelled out as PCRE2 items plus the ranges the reference adds or leaves out, so a
// character the reference calls a letter is one here too, whatever the PCRE2 build.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tokenizer/code_point_ranges.hpp"

namespace tokprob::tok {

struct RegexClass {
  std::string_view name;  // a general category ("L", "Lu"...) or an escape's letter ("w", "d", "s")
  std::string_view base;  // the PCRE2 class items the reference's class starts from (may be empty)
  std::span<const CodePointRange> add, remove;  // where the reference departs from `base`
};

// The reference's class of that name, or null for one tokprob leaves to PCRE2 as written
// (scripts, long property names). Tables: regex_class_tables.cpp.
const RegexClass* find_regex_class(std::string_view name);

// The pattern with every \p{X}, \P{X}, \pX, \d, \D, \w, \W, \s, \S, in classes or not, replaced by
// the reference's class spelled for PCRE2; everything else as written.
std::string with_reference_classes(std::string_view pattern);

}  // namespace tokprob::tok
