// The model a server answers with, and what kind it is: the kind decides which endpoints exist
// and what the web page shows.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "server/batching_causal_lm.hpp"
#include "tokprob/load_options.hpp"
#include "tokprob/model.hpp"

namespace tokprob {

struct ServedModel {
  std::string name;  // the model folder's name, as /v1/models lists it
  // Loaded by tokprob::load_folder, as every user of the library loads one: kind, tokenizer,
  // limits and generation defaults come from it, and the encoder and seq2seq endpoints call the
  // public tasks on it (encoders keep no state between calls, so many request threads share it).
  Model model;
  // Set for a causal LM: the model's network behind the server's batcher, which runs the forward
  // passes of concurrent requests together.
  std::shared_ptr<BatchingCausalLM> causal_lm;

  std::string kind() const { return model_kind_name(model.kind()); }  // "causal-lm", "masked-lm", ...
  const Tokenizer& tokenizer() const { return model.tokenizer(); }
  // The JSON endpoints this model answers, e.g. "/v1/next" (and /tokenize, /detokenize).
  std::vector<std::string> endpoints() const;
};

// The name /v1/models gives the model in folder `dir`: the folder's name.
std::string served_model_name(const std::filesystem::path& dir);

// Loads the model folder `dir` and its tokenizer; fails naming the folder when it has no tokenizer
// (every endpoint takes text).
ServedModel load_served_model(const std::filesystem::path& dir, int64_t max_batch, const LoadOptions& options = {});

}  // namespace tokprob
