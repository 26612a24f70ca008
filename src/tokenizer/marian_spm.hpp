// Marian's tokenizer files (source.spm, target.spm, vocab.json [, target_vocab.json],
// tokenizer_config.json; no tokenizer.json) as MarianTokenizer reads them: a text goes through the
// source SentencePiece model (a leading ">>xx<<" language code kept whole), each piece's id is
// looked up in vocab.json (a piece it lacks is <unk>), and </s> is appended. Targets (labels) go
// through target.spm instead, and through target_vocab.json with separate_vocabs. Ids decode
// through the target vocabulary and, unless the vocabularies are separate, the source model.
#pragma once

#include <filesystem>
#include <memory>

#include "tokenizer/pipeline.hpp"

namespace tokprob::tok {

// Whether `dir` holds Marian's files.
bool is_marian_folder(const std::filesystem::path& dir);
// The source-side pipeline, with the target side in its `target` member. Throws tokprob::Error
// naming the file at fault.
std::unique_ptr<Pipeline> load_marian(const std::filesystem::path& dir, const TokenizerOptions& options);

}  // namespace tokprob::tok
