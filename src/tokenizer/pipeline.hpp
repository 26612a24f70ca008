// What a loaded tokenizer is made of: the tokenizer.json pipeline stages (or their equivalents
// built from legacy files) plus the settings `transformers` keeps beside them.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/decoders.hpp"
#include "tokenizer/models.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/post_processors.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::tok {

struct Pipeline {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  SpecialTokens roles;
  // Whether decode applies transformers' clean_up_tokenization (see apply_folder_config).
  bool clean_up_tokenization_spaces = false;
  // The model is BPE as `transformers` loads it (tokenizer.json's model, or the converter its
  // class picks for legacy files): transformers 5 then never cleans up.
  bool bpe_model = false;
  // TokenizerOptions::add_special_tokens: false turns special tokens off in every encode.
  bool add_special_tokens = true;
  // The pipeline of labels (tokenizer(text_target=...)) and of the ids decoded, where it differs
  // from this one (Marian's target.spm); null: this one.
  std::shared_ptr<const Pipeline> target;

  Encoding encode_one(std::string_view text) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(int32_t id) const;
};

// Throws tokprob::Error naming the file when it is missing, not valid JSON or too large.
nlohmann::json read_json_file(const std::filesystem::path& file);
// Null when the file is absent.
nlohmann::json read_optional_json(const std::filesystem::path& file);

// A token named in a config ("<s>" or {"content": "<s>", ...}), if any.
std::optional<std::string> token_content(const nlohmann::json& value);
// Fills impl.roles from the configs and sets clean_up_tokenization_spaces as transformers 5 does:
// the config's flag (false when unset), ignored for a BPE model unless the config also sets
// clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output. impl.bpe_model first.
void apply_folder_config(Pipeline& impl, const nlohmann::json& config, const nlohmann::json& special_tokens_map);
// Added tokens listed in tokenizer_config.json's added_tokens_decoder.
void add_config_added_tokens(AddedVocabulary& added, const nlohmann::json& config);

std::unique_ptr<Pipeline> load_tokenizer_json(const std::filesystem::path& file, const TokenizerOptions& options);
// A tokenizer.json already read (or built in memory from other files, as transformers converts
// them), with the folder `dir` whose tokenizer_config.json and special_tokens_map.json apply.
struct TokenizerJsonDocument;
std::unique_ptr<Pipeline> load_tokenizer_document(TokenizerJsonDocument doc, const std::string& where,
                                                  const std::filesystem::path& dir, const TokenizerOptions& options);
std::unique_ptr<Pipeline> load_legacy_files(const std::filesystem::path& dir, const TokenizerOptions& options);

}  // namespace tokprob::tok
