// What a model folder says about generation: generation_config.json, falling back to config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace tokprob {

// eos_token_id of generation_config.json, else of config.json; either may hold one id or a list
// (Llama 3). Empty when neither has one. Throws naming the file when the value is malformed.
std::vector<int32_t> read_eos_token_ids(const std::filesystem::path& model_dir);

}  // namespace tokprob
