// How a model is loaded, beyond what its folder says.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "tokprob/tokenizer.hpp"
#include "tokprob/weight_format.hpp"

namespace tokprob {

// What a model folder is loaded as: the head its checkpoint was saved with decides.
enum class ModelKind {
  causal_lm,            // GPT2LMHeadModel, LlamaForCausalLM, ...: next, score, generate
  masked_lm,            // BertForMaskedLM, ...: fill-mask
  sequence_classifier,  // DistilBertForSequenceClassification, ...: classify
  seq2seq_lm,           // T5ForConditionalGeneration, ...: seq2seq
};

// "causal-lm", "masked-lm", "classifier", "seq2seq"; parse_model_kind throws an OptionError for
// `kind` naming the choices.
const char* model_kind_name(ModelKind kind);
ModelKind parse_model_kind(const std::string& name);

struct LoadOptions {
  LoadOptions(WeightFormat weights = WeightFormat::f32) : weights(weights) {}  // NOLINT: {format} reads well

  // Format of the matrix weights (every linear layer and the LM head) for the products (--dtype);
  // embeddings, norms and biases stay fp32. fp32 keeps the reference's numbers.
  WeightFormat weights;
  // Where weights converted to another format are kept for the next load; empty: converted at
  // every load. tokprob::load() fills it from the environment when unset (io/cache_home.hpp).
  std::filesystem::path weight_cache_dir;
  // Threads of the engine's pool, which the whole process shares; 0 leaves it as it is (all cores
  // unless set before).
  int threads = 0;
  // Hugging Face model ids only: the branch, tag or commit ("" = the id's own, else "main").
  std::string revision;
  // Tokenizer options that change ids (add_prefix_space, add_special_tokens), as from_pretrained takes them.
  TokenizerOptions tokenizer;
  // Load the checkpoint as this kind instead of the one its config.json names (a checkpoint that
  // holds several heads).
  std::optional<ModelKind> kind;
};

}  // namespace tokprob
