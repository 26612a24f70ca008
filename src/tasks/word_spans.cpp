#include "tasks/word_spans.hpp"

#include <algorithm>
#include <optional>
#include <utf8proc.h>

#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool all_whitespace(std::u32string_view text, CodePointSpan span) {
  for (size_t i = span.first; i < span.second && i < text.size(); ++i)
    if (!tok::is_whitespace(text[i])) return false;
  return true;
}

}  // namespace

std::vector<CodePointSpan> split_words(std::u32string_view text, ScoreOptions::WordSplit split) {
  std::vector<CodePointSpan> words;
  const bool punct = split == ScoreOptions::WordSplit::punctuation;
  size_t i = 0;
  while (i < text.size()) {
    if (tok::is_whitespace(text[i])) {
      ++i;
      continue;
    }
    const bool p = punct && is_punctuation(text[i]);
    size_t j = i + 1;
    while (j < text.size() && !tok::is_whitespace(text[j]) && (!punct || is_punctuation(text[j]) == p)) ++j;
    words.emplace_back(i, j);
    i = j;
  }
  return words;
}

void check_word_spans(const std::vector<CodePointSpan>& spans, size_t length) {
  size_t previous_end = 0;
  for (const auto& [begin, end] : spans) {
    if (begin >= end || end > length || begin < previous_end)
      option_error("word_spans", "must be non-empty [begin, end) code point ranges, ascending and disjoint, within the "
                                 "text's " + std::to_string(length) + " code points; got [" + std::to_string(begin) +
                                 ", " + std::to_string(end) + ")");
    previous_end = end;
  }
}

std::vector<WordTokens> match_word_tokens(const std::vector<CodePointSpan>& words,
                                          const std::vector<CodePointSpan>& token_offsets,
                                          const std::vector<uint8_t>& special, std::u32string_view text) {
  const size_t n_words = words.size(), n_tokens = token_offsets.size();
  if (n_words == 0) return {};
  std::vector<uint8_t> joined(n_words, 0);  // word k and word k + 1 are one word
  std::vector<std::optional<size_t>> word_of(n_tokens);
  std::optional<size_t> furthest;
  for (size_t t = 0; t < n_tokens; ++t) {
    // Named, not a structured binding: clang before 16 cannot capture one in a lambda.
    const size_t b = token_offsets[t].first, e = token_offsets[t].second;
    if (special[t] || b >= e) continue;
    const size_t i = static_cast<size_t>(
        std::partition_point(words.begin(), words.end(), [b](const CodePointSpan& w) { return w.second <= b; }) -
        words.begin());
    size_t j = i;
    while (j < n_words && words[j].first < e) ++j;
    if (i == j) continue;
    // A token back inside an earlier word (offsets out of order) joins everything in between.
    const size_t to = std::max(j - 1, furthest.value_or(0));
    for (size_t k = i; k < to; ++k) joined[k] = 1;
    word_of[t] = i;
    furthest = to;
  }
  std::vector<size_t> group(n_words);
  size_t n_groups = 0;
  for (size_t k = 0; k < n_words; ++k) {
    group[k] = n_groups;
    if (!joined[k]) ++n_groups;
  }
  constexpr size_t none = static_cast<size_t>(-1);
  std::vector<size_t> first(n_groups, none), last(n_groups, 0), first_word(n_groups, none), last_word(n_groups, 0);
  for (size_t k = 0; k < n_words; ++k) {
    first_word[group[k]] = std::min(first_word[group[k]], k);
    last_word[group[k]] = k;
  }
  for (size_t t = 0; t < n_tokens; ++t)
    if (word_of[t]) {
      const size_t g = group[*word_of[t]];
      first[g] = std::min(first[g], t);
      last[g] = std::max(last[g], t);
    }
  std::vector<WordTokens> out;
  std::optional<size_t> pending_begin;  // the span start of earlier words without tokens
  for (size_t g = 0; g < n_groups; ++g) {
    if (first[g] == none) {
      if (!pending_begin) pending_begin = words[first_word[g]].first;
      continue;
    }
    size_t f = first[g];
    // Whitespace tokens just before the word (and after the previous word's tokens) begin it.
    while (f > 0 && !special[f - 1] && !word_of[f - 1] && all_whitespace(text, token_offsets[f - 1])) --f;
    WordTokens w;
    w.span = {pending_begin.value_or(words[first_word[g]].first), words[last_word[g]].second};
    w.first_token = f;
    w.end_token = last[g] + 1;
    out.push_back(w);
    pending_begin.reset();
  }
  if (pending_begin && !out.empty()) out.back().span.second = words.back().second;
  return out;
}

}  // namespace tokprob
