// From a model folder to a model object: config.json's model_type picks the architecture.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "models/causal_lm.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"
#include "models/seq2seq_lm.hpp"

namespace tokprob {

// The model_types the registry loads, per kind of model, sorted (README.md lists the same).
struct SupportedModelTypes {
  std::vector<std::string> causal, encoder, seq2seq;
};
SupportedModelTypes supported_model_types();

// Checks that `dir` is a model folder and reads its config.json.
Config read_model_config(const std::filesystem::path& dir);

// What `config` loads as when nothing else is asked: the head its architecture names
// (...ForCausalLM, ...ForMaskedLM, ...ForSequenceClassification, ...ForConditionalGeneration), else
// the kind its model_type has. Throws naming the supported model types for an unknown one.
ModelKind model_kind(const Config& config);

// A decoder-only language model (GPT-2, ...) from `dir`; throws naming the architecture when
// config.json describes a model of another kind or one tokprob does not know.
std::unique_ptr<CausalLM> load_causal_lm(const std::filesystem::path& dir, const Config& config,
    const ModelLoadOptions& options = {});

// An encoder-decoder language model (T5, mT5) from `dir`; throws naming the architecture when
// config.json describes a model of another kind or one tokprob does not know.
std::unique_ptr<Seq2SeqLM> load_seq2seq_lm(const std::filesystem::path& dir, const Config& config,
    const ModelLoadOptions& options = {});

// A bidirectional encoder (BERT, DistilBERT) with its masked-LM head; throws naming the
// architecture for another kind of model and naming the missing tensor for a checkpoint without
// the head (a classifier, a bare BertModel).
std::unique_ptr<EncoderModel> load_masked_lm(const std::filesystem::path& dir, const Config& config,
    const ModelLoadOptions& options = {});

// A bidirectional encoder with its sequence-classification head; labels from config.json id2label.
std::unique_ptr<EncoderModel> load_sequence_classifier(const std::filesystem::path& dir, const Config& config,
    const ModelLoadOptions& options = {});

}  // namespace tokprob
