// Legacy SentencePiece folders (spiece.model / tokenizer.model, no tokenizer.json): encoding and
// decoding go through libsentencepiece itself, as the slow `transformers` tokenizers do.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/decoders.hpp"
#include "tokenizer/models.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace tokprob::tok {

// How the slow `transformers` tokenizer (T5Tokenizer or LlamaTokenizer) turns tokens into text
// around SentencePiece: special tokens are written as they are, with the spacing rules of
// convert_tokens_to_string and _decode.
struct SlowDecodeRules {
  bool t5 = false;  // T5Tokenizer's rules, else LlamaTokenizer's
  bool legacy = true;
  bool add_prefix_space = true;
  bool spaces_between_special_tokens = true;
  std::vector<std::string> special_tokens;       // all_special_tokens
  std::vector<std::string> legacy_added_tokens;  // added tokens decoded apart (T5's <extra_id_N>)
};

struct SentencePieceFiles {
  std::unique_ptr<Model> model;
  std::unique_ptr<Decoder> decoder;
  int piece_count = 0;
  std::shared_ptr<const sentencepiece::SentencePieceProcessor> processor;
};
// Throws tokprob::Error naming `file` when it cannot be loaded.
SentencePieceFiles load_sentencepiece(const std::filesystem::path& file);
// Replaces `files.decoder` by one that follows `rules`.
void use_slow_decode_rules(SentencePieceFiles& files, SlowDecodeRules rules);

}  // namespace tokprob::tok
