// A tokenizer.json parsed once and kept in the cache directory of converted weights
// (io/cache_file.hpp, "*.tpt"), so that a later load skips parsing the file and building the
// model's tables: GPT-2's 50k tokens and 50k merges took ~22 ms to parse and resolve at every start.
// The file holds the document without the model's tables (as JSON text: the small pipeline
// configuration, which the stages' builders read as they do from tokenizer.json) and the tables as
// the model holds them once built (vocabulary and merge hash tables), which load by copying.
//
// Its identity is the tokenizer.json file (path, size, modification time, inode) and the running
// program; the files read beside it (tokenizer_config.json, special_tokens_map.json) are read at
// every load. The whole file is checksummed: any damage is a miss, and the file is rewritten.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "tokenizer/models.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"

namespace tokprob::tok {

// The document of tokenizer.json `file` from its cache file in `dir`; none when there is no valid one.
std::optional<TokenizerJsonDocument> read_cached_tokenizer(const std::filesystem::path& dir,
                                                           const std::filesystem::path& file);

// Keeps `rest` (the document as read from `file`, before any loading option changed it) and the
// tables of `model`, built from it. False when nothing was written: a model without tables
// (Model::tables), or a directory that cannot be written.
bool write_cached_tokenizer(const std::filesystem::path& dir, const std::filesystem::path& file,
                            const nlohmann::json& rest, const Model& model);

// The cache file that holds `file`'s tokenizer in `dir`.
std::filesystem::path cached_tokenizer_path(const std::filesystem::path& dir, const std::filesystem::path& file);

}  // namespace tokprob::tok
