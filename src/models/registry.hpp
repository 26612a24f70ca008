// From a model folder to a model object: config.json's model_type picks the architecture.
#pragma once

#include <filesystem>
#include <memory>

#include "io/config.hpp"
#include "models/causal_lm.hpp"
#include "models/seq2seq_lm.hpp"

namespace tokprob {

// Checks that `dir` is a model folder and reads its config.json.
Config read_model_config(const std::filesystem::path& dir);

// A decoder-only language model (GPT-2, ...) from `dir`; throws naming the architecture when
// config.json describes a model of another kind or one tokprob does not know.
std::unique_ptr<CausalLM> load_causal_lm(const std::filesystem::path& dir, const Config& config);

// An encoder-decoder language model (T5, mT5) from `dir`; throws naming the architecture when
// config.json describes a model of another kind or one tokprob does not know.
std::unique_ptr<Seq2SeqLM> load_seq2seq_lm(const std::filesystem::path& dir, const Config& config);

}  // namespace tokprob
