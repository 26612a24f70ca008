// Which tokens make up each word of a text: the words from the text's own boundaries (or the
// caller's spans), matched to the tokens through the tokenizer's offsets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokprob/score.hpp"

namespace tokprob {

using CodePointSpan = std::pair<size_t, size_t>;  // [begin, end) in code points

// Runs of non-whitespace code points; with WordSplit::punctuation each run of punctuation
// (Unicode P* and the ASCII symbols) inside them is a word of its own.
std::vector<CodePointSpan> split_words(std::u32string_view text, ScoreOptions::WordSplit split);

// Throws an OptionError on "word_spans" unless the spans are non-empty, ascending, disjoint and
// within the text's `length` code points.
void check_word_spans(const std::vector<CodePointSpan>& spans, size_t length);

struct WordTokens {
  CodePointSpan span;
  size_t first_token = 0, end_token = 0;
};

// Each word with its tokens, in order. A token that overlaps several words joins them into one
// (a word's probability exists only at token boundaries: TinyStories' "▁a▁time", a SentencePiece
// ",\""); a token of whitespace alone (GPT-2's "Ġ" before a second space, "Ċ") goes with the word
// after it; special tokens (`special`, nonzero) belong to no word; words without tokens join the
// next word.
std::vector<WordTokens> match_word_tokens(const std::vector<CodePointSpan>& words,
                                          const std::vector<CodePointSpan>& token_offsets,
                                          const std::vector<uint8_t>& special, std::u32string_view text);

}  // namespace tokprob
