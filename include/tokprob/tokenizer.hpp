// Text <-> token ids, with the exact behaviour of Hugging Face `tokenizers` (the fast tokenizer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokprob {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;     // token type (segment) ids: 0 for the first text, 1 for a pair's second
  std::vector<std::string> tokens;   // vocabulary strings, e.g. "Ġgo", "##ing", "▁the"
  // [begin, end) in Unicode code points of the input text (as Python's str indexes it);
  // special tokens added by the post-processor get {0, 0}.
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<uint8_t> special_mask;  // 1 where the token is a special token
};

// Ids of the roles special tokens play, taken from tokenizer.json's added tokens,
// tokenizer_config.json and special_tokens_map.json; absent when the tokenizer has none.
struct SpecialTokens {
  std::optional<int32_t> bos, eos, unk, pad, mask, cls, sep;
};

// The options of transformers' AutoTokenizer.from_pretrained (and of a tokenizer call) that change
// ids, applied as the reference applies them for the tokenizer's family.
struct TokenizerOptions {
  // from_pretrained(..., add_prefix_space=...) as transformers 5 applies it; unset keeps the
  // files' behaviour. Byte-level BPE classes (GPT-2, GPT-NeoX, RoBERTa, Qwen2, ...) set their
  // ByteLevel pre-tokenizer's flag; Llama builds its own Metaspace pre-tokenizer (prepend_scheme
  // "always" when legacy, else "first"; "never" when false) and decoder in place of the files';
  // other classes (BERT, T5, Gemma, a plain PreTrainedTokenizerFast) ignore it, as there. The
  // legacy files take it as their tokenizer_config.json's add_prefix_space.
  std::optional<bool> add_prefix_space;
  // false: tokenizer(text, add_special_tokens=False) everywhere, whatever encode() is asked for
  // (no BOS, CLS/SEP or EOS from the post-processor).
  bool add_special_tokens = true;
  // Where a parsed tokenizer.json is kept for the next load (beside converted weights: see
  // load_options.hpp); empty: parsed at every load. tokprob::load() fills it from the environment
  // when unset. A damaged or stale file is rebuilt.
  std::filesystem::path cache_dir;
};

class Tokenizer {
 public:
  // Loads `dir/tokenizer.json` when present, else the legacy files of the folder
  // (vocab.json + merges.txt, vocab.txt, spiece.model / tokenizer.model), together with
  // tokenizer_config.json and special_tokens_map.json. Throws tokprob::Error naming the file at fault.
  static Tokenizer from_folder(const std::filesystem::path& dir, const TokenizerOptions& options = {});
  // Loads one tokenizer.json file (special-token roles from the files beside it, if any).
  static Tokenizer from_tokenizer_json(const std::filesystem::path& file, const TokenizerOptions& options = {});
  // Ignores tokenizer.json even where present: only the legacy files.
  static Tokenizer from_legacy_files(const std::filesystem::path& dir, const TokenizerOptions& options = {});
  // Whether `dir` holds any file from_folder reads (a folder of weights alone has none).
  static bool folder_has_tokenizer(const std::filesystem::path& dir);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Invalid UTF-8 in `text` is replaced by U+FFFD before tokenization (as Python's
  // bytes.decode(errors="replace") would hand the reference the string). Special tokens are added
  // only when both add_special_tokens and the loading options' add_special_tokens are true.
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view first, std::string_view second,
                       bool add_special_tokens = true) const;
  // A seq2seq target as the reference tokenizes labels (tokenizer(text_target=...)): through the
  // target side where the tokenizer has one (Marian's target.spm), else as encode().
  Encoding encode_target(std::string_view text, bool add_special_tokens = true) const;
  // Ids are read on the output side: the target vocabulary where the tokenizer has one (Marian's
  // separate vocabularies), as the reference's decode and convert_ids_to_tokens read them.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // The vocabulary string of one id ("Ġgo"); throws for an id outside the vocabulary.
  std::string id_to_token(int32_t id) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // What one token reads as on its own: decode({id}) without the decoder's
  // start-of-text clean-ups that would drop a leading space (" go" for "Ġgo", " the" for "▁the").
  std::string token_text(int32_t id) const;
  size_t vocab_size() const;  // including added tokens
  bool is_special(int32_t id) const;
  const SpecialTokens& special_tokens() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokprob
