// How a vocabulary's tokens mark word boundaries, for word probabilities (Pimentel & Meister
// 2024): a token that begins with whitespace (GPT-2's "Ġ", SentencePiece's "▁") starts a new
// word, so whether a word ended shows only in the token after it; a token that ends with
// whitespace (a "</w>" end marker, TinyStories' "Lily▁") ends its word itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokprob/tokenizer.hpp"

namespace tokprob {

struct WordBoundaries {
  // What the vocabulary's "a b" shows: the token holding "b" begins with the marker (word_start),
  // or the one holding "a" ends with it (word_end); informational, as the tokens say it each time.
  enum class Marker { none, word_start, word_end };
  Marker marker = Marker::none;
  std::string symbol;  // "Ġ", "▁", "</w>"; empty for none
  // By token id: begins_word where the token reads as starting with whitespace (a newline too) or
  // is the EOS token (the text ends); ends_word where it reads as ending with whitespace.
  std::vector<uint8_t> begins_word, ends_word;
  std::vector<int32_t> word_start_ids;  // the ids where begins_word is 1, ascending
};

// One pass over the vocabulary (a few milliseconds for 50k tokens): the holders of a tokenizer
// (tokprob::Model, the server's model, the command line) compute it once and keep it.
WordBoundaries find_word_boundaries(const Tokenizer& tokenizer);

}  // namespace tokprob
