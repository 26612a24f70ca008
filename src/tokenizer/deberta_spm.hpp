// DeBERTa-v2/v3's tokenizer files (spm.model with tokenizer_config.json and
// special_tokens_map.json, no tokenizer.json) as transformers 5 loads them into DebertaV2Tokenizer:
// the SentencePiece pieces as a Unigram model behind the normalizers, Metaspace pre-tokenizer and
// decoder, [CLS] $A [SEP] template and special tokens that class builds.
#pragma once

#include <filesystem>
#include <memory>

#include "tokenizer/pipeline.hpp"

namespace tokprob::tok {

// Throws tokprob::Error naming the file when spm.model cannot be read.
std::unique_ptr<Pipeline> load_deberta_spm(const std::filesystem::path& dir, const TokenizerOptions& options);

}  // namespace tokprob::tok
