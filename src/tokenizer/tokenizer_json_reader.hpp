// Reading tokenizer.json fast: the vocabulary and merges (most of the file) are streamed straight
// into the model's tables with nlohmann's SAX interface instead of being built as a JSON tree,
// which alone would take longer than the whole load should (GPT-2's file is 1.3 MB).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/models.hpp"

namespace tokprob::tok {

// Limits on tokenizer files, which are outside input: the largest real tokenizer.json files are
// tens of MiB and nest fewer than 10 levels; deeper nesting (a Sequence of Sequences of ...) would
// only make the stages' builders recurse.
inline constexpr uintmax_t kMaxTokenizerFileBytes = uintmax_t{512} << 20;
inline constexpr int kMaxTokenizerJsonDepth = 64;

struct TokenizerJsonDocument {
  nlohmann::json rest;  // the whole file except model.vocab and model.merges
  ModelTables tables;
};

// Throws tokprob::Error naming `where` when `text` is not valid JSON.
TokenizerJsonDocument read_tokenizer_json(const std::string& text, const std::string& where);
// A flat {token: id} file (vocab.json).
Vocab read_vocab_json(const std::string& text, const std::string& where);
// Reads a whole file; throws tokprob::Error naming it when it cannot be opened or is larger than
// kMaxTokenizerFileBytes.
std::string read_file(const std::string& path);

}  // namespace tokprob::tok
