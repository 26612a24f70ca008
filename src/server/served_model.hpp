// The model a server answers with, and what kind it is: the kind decides which endpoints exist
// and what the web page shows.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "models/encoder_model.hpp"
#include "models/load_options.hpp"
#include "models/seq2seq_lm.hpp"
#include "server/batching_causal_lm.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

struct ServedModel {
  std::string name;          // the model folder's name, as /v1/models lists it
  std::string kind;          // "causal-lm", "masked-lm", "classifier" or "seq2seq"
  std::string model_type;    // config.json model_type
  std::string dtype = "fp32";  // weight format of the matrix products (--dtype)
  std::shared_ptr<const Tokenizer> tokenizer;
  std::shared_ptr<BatchingCausalLM> causal_lm;  // set for kind "causal-lm"
  // Set for "masked-lm" and "classifier". Called from many request threads at once (encoders
  // keep no state between calls); each request's texts still run as one batch.
  std::shared_ptr<const EncoderModel> encoder;
  std::shared_ptr<const Seq2SeqLM> seq2seq;  // set for "seq2seq" (called like `encoder`)
  std::vector<int32_t> eos_token_ids;        // generation_config.json's, for generation defaults
  int64_t max_positions = 0;                    // 0: no fixed limit

  // Native task endpoints this model answers, e.g. "/v1/next".
  std::vector<std::string> endpoints() const;
};

// Loads the model folder `dir` and its tokenizer; fails naming the folder when its architecture
// has no task the server offers.
ServedModel load_served_model(const std::filesystem::path& dir, int64_t max_batch, const LoadOptions& options = {});

}  // namespace tokprob
