// What a model folder says about generation: generation_config.json, falling back to config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tokprob/generate.hpp"

namespace tokprob {

// eos_token_id of generation_config.json, else of config.json; either may hold one id or a list
// (Llama 3). Empty when neither has one. Throws naming the file when the value is malformed.
std::vector<int32_t> read_eos_token_ids(const std::filesystem::path& model_dir);

// The generation settings a folder gives `generate()` of the reference (transformers 5): those of
// generation_config.json when the folder has one (its absent keys take the global defaults, not
// config.json's), else the generation keys of config.json. Unset: the file does not say.
struct GenerationDefaults {
  std::filesystem::path file;              // where they come from; empty when neither file exists
  bool from_generation_config = false;     // file is generation_config.json
  std::optional<int64_t> num_beams, max_length, max_new_tokens, min_length, min_new_tokens, no_repeat_ngram_size;
  std::optional<double> length_penalty, repetition_penalty;
  std::optional<EarlyStopping> early_stopping;
  std::optional<std::vector<std::vector<int32_t>>> bad_words_ids;
  std::optional<int32_t> forced_bos_token_id, decoder_start_token_id, bos_token_id;
  std::optional<std::vector<int32_t>> forced_eos_token_ids, eos_token_ids;
  // Settings the file makes that would change a greedy or beam result and tokprob does not
  // implement, each as "key value" ("do_sample true"); generation refuses them by name.
  std::vector<std::string> unsupported;
};

// Throws naming the file and key when a value has the wrong type.
GenerationDefaults read_generation_defaults(const std::filesystem::path& model_dir);

}  // namespace tokprob
