// tiktoken BPE files (a base64 token and its rank per line, no merges, no pattern, no special
// tokens): what Llama 3 ships as original/tokenizer.model, and some repositories as tiktoken.model.
// transformers 5 reads such a file when a folder has no tokenizer.json (a tokenizer.model that is
// not a SentencePiece model, or tiktoken.model) and converts it (TikTokenConverter) into a
// byte-level BPE: ranks as ids, merges derived from the ranks, ignore_merges, Llama 3's split
// pattern, and the config's extra special tokens after the ranks. This builds that same tokenizer.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "tokenizer/tokenizer_json_reader.hpp"

namespace tokprob::tok {

// The folder's tiktoken file as transformers picks it (tokenizer.model when it holds tiktoken
// lines, else tiktoken.model), or nothing.
std::optional<std::filesystem::path> tiktoken_file_of(const std::filesystem::path& dir);

// The tokenizer.json transformers converts the file into; `config` is tokenizer_config.json (its
// added_tokens_decoder and extra_special_tokens). Throws tokprob::Error naming the file and line
// for a malformed file.
TokenizerJsonDocument tiktoken_document(const std::filesystem::path& file, const nlohmann::json& config);

}  // namespace tokprob::tok
