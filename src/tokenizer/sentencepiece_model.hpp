// Legacy SentencePiece folders (spiece.model / tokenizer.model, no tokenizer.json): encoding and
// decoding go through libsentencepiece itself, as the slow `transformers` tokenizers do.
#pragma once

#include <filesystem>
#include <memory>

#include "tokenizer/decoders.hpp"
#include "tokenizer/models.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace tokprob::tok {

struct SentencePieceFiles {
  std::unique_ptr<Model> model;
  std::unique_ptr<Decoder> decoder;
  int piece_count = 0;
};
// Throws tokprob::Error naming `file` when it cannot be loaded.
SentencePieceFiles load_sentencepiece(const std::filesystem::path& file);

}  // namespace tokprob::tok
