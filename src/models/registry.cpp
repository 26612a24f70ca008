#include "models/registry.hpp"

#include <functional>
#include <map>

#include "io/safetensors.hpp"
#include "models/bert.hpp"
#include "models/distilbert.hpp"
#include "models/roberta.hpp"
#include "models/modernbert.hpp"
#include "models/deberta_v2.hpp"
#include "models/gemma.hpp"
#include "models/gpt2.hpp"
#include "models/gpt_neox.hpp"
#include "models/llama.hpp"
#include "models/bart.hpp"
#include "models/bart_classifier.hpp"
#include "models/opt.hpp"
#include "models/phi3.hpp"
#include "models/t5.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

using CausalLoader = std::function<std::unique_ptr<CausalLM>(const Config&, Weights, const ModelLoadOptions&)>;

const std::map<std::string, CausalLoader>& causal_loaders() {
  static const std::map<std::string, CausalLoader> table = {
      {"gemma", load_gemma},
      {"gemma2", load_gemma2},
      {"gemma3_text", load_gemma3_text},
      {"gpt2", load_gpt2},
      {"gpt_bigcode", load_gpt_bigcode},
      {"gpt_neox", load_gpt_neox},
      {"llama", load_llama},
      {"mistral", load_mistral},
      {"mixtral", load_mixtral},
      {"olmo2", load_olmo2},
      {"opt", load_opt},
      {"phi3", load_phi3},
      {"qwen2", load_qwen2},
      {"qwen3", load_qwen3},
      {"qwen3_moe", load_qwen3_moe},
  };
  return table;
}

using Seq2SeqLoader = std::function<std::unique_ptr<Seq2SeqLM>(const Config&, Weights, const ModelLoadOptions&)>;

const std::map<std::string, Seq2SeqLoader>& seq2seq_loaders() {
  static const std::map<std::string, Seq2SeqLoader> table = {
      {"bart", load_bart},
      {"marian", load_bart},
      {"mbart", load_bart},
      {"mt5", load_t5},
      {"t5", load_t5},
  };
  return table;
}

using EncoderLoader = std::function<std::unique_ptr<EncoderModel>(const Config&, Weights, EncoderHead, const ModelLoadOptions&)>;

const std::map<std::string, EncoderLoader>& encoder_loaders() {
  static const std::map<std::string, EncoderLoader> table = {
      {"bart", load_bart_classifier},  // BartForSequenceClassification; the other BART heads are seq2seq
      {"bert", load_bert},
      {"deberta-v2", load_deberta_v2},
      {"distilbert", load_distilbert},
      {"mbart", load_bart_classifier},
      {"modernbert", load_modernbert},
      {"roberta", load_roberta},
      {"xlm-roberta", load_roberta},
  };
  return table;
}

// Calls `load(weights, options)` with the folder's weights, through the cache of converted weights
// when the options name one, and saves that cache once the model is built.
template <class Load>
auto load_with_cache(const std::filesystem::path& dir, const Config& config, const ModelLoadOptions& options, Load load) {
  Weights weights = Weights::open_folder(dir);
  if (options.converted_tensors) weights.record_conversions_in(options.converted_tensors);
  if (options.weight_cache_dir.empty()) return load(std::move(weights), options);
  ModelLoadOptions with_cache = options;
  // The configuration decides which tensor each converted weight is: it is part of the identity.
  with_cache.packed_cache = std::make_shared<PackedWeightCache>(options.weight_cache_dir, weights.files(),
                                                                options.weights, config.json().dump());
  auto model = load(std::move(weights), with_cache);
  with_cache.packed_cache->save();
  return model;
}

template <class Table>
std::string known(const Table& t) {
  std::string s;
  for (auto& [k, v] : t) s += (s.empty() ? "" : ", ") + k;
  return s;
}

// Which command serves an encoder checkpoint, from its architecture name (BertForMaskedLM).
std::string encoder_command_hint(const std::string& architecture) {
  if (architecture.find("SequenceClassification") != std::string::npos) return " (it is a classifier: use classify)";
  if (architecture.find("MaskedLM") != std::string::npos) return " (it is a masked language model: use fill-mask)";
  return " (it is an encoder model: use fill-mask or classify)";
}

template <class Table>
std::vector<std::string> keys(const Table& t) {
  std::vector<std::string> out;
  for (auto& [k, v] : t) out.push_back(k);
  return out;
}

}  // namespace

SupportedModelTypes supported_model_types() {
  return {keys(causal_loaders()), keys(encoder_loaders()), keys(seq2seq_loaders())};
}

ModelKind model_kind(const Config& config) {
  const std::string arch = config.first_architecture();
  const std::string type = config.model_type();
  const bool causal = causal_loaders().count(type) > 0, seq2seq = seq2seq_loaders().count(type) > 0,
             encoder = encoder_loaders().count(type) > 0;
  if (!causal && !seq2seq && !encoder)
    fail(config.file().string() + ": unsupported architecture " +
         (type.empty() ? std::string("(no model_type)") : "'" + type + "'") + (arch.empty() ? "" : " (" + arch + ")") +
         "; supported: " + known(causal_loaders()) + " (causal LMs), " + known(encoder_loaders()) +
         " (masked LMs and classifiers), " + known(seq2seq_loaders()) + " (seq2seq)");
  if (encoder && arch.ends_with("ForSequenceClassification")) return ModelKind::sequence_classifier;
  if (encoder && !seq2seq) return ModelKind::masked_lm;
  return seq2seq ? ModelKind::seq2seq_lm : ModelKind::causal_lm;
}

Config read_model_config(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  // The error_code overloads: a path the OS refuses (too long, a symlink loop) is an Error naming it.
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail("model folder not found: " + dir.string() + (ec ? " (" + ec.message() + ")" : ""));
  if (!fs::is_directory(dir, ec)) fail("not a model folder (not a directory): " + dir.string());
  const fs::path cfg = dir / "config.json";
  if (!fs::exists(cfg, ec)) fail("no config.json in " + dir.string() + " (not a Hugging Face model folder?)");
  return Config::load(cfg);
}

std::unique_ptr<CausalLM> load_causal_lm(const std::filesystem::path& dir, const Config& config,
                                         const ModelLoadOptions& options) {
  const std::string type = config.model_type();
  const auto& table = causal_loaders();
  auto it = table.find(type);
  if (it == table.end()) {
    const std::string arch = config.first_architecture();
    fail(config.file().string() + ": unsupported architecture " +
         (type.empty() ? std::string("(no model_type)") : "'" + type + "'") +
         (arch.empty() ? "" : " (" + arch + ")") + " for causal language modelling; supported: " + known(table) +
         (seq2seq_loaders().count(type) ? " (it is an encoder-decoder model: use seq2seq)" : "") +
         (encoder_loaders().count(type) ? encoder_command_hint(arch) : ""));
  }
  return load_with_cache(dir, config, options, [&](Weights w, const ModelLoadOptions& o) { return it->second(config, std::move(w), o); });
}

std::unique_ptr<Seq2SeqLM> load_seq2seq_lm(const std::filesystem::path& dir, const Config& config,
                                           const ModelLoadOptions& options) {
  const std::string type = config.model_type();
  const auto& table = seq2seq_loaders();
  auto it = table.find(type);
  if (it != table.end() && config.first_architecture().ends_with("ForSequenceClassification"))
    fail(config.file().string() + ": " + config.first_architecture() +
         " has a classification head and no LM head (it is a classifier: use classify)");
  if (it == table.end()) {
    const std::string arch = config.first_architecture();
    fail(config.file().string() + ": unsupported architecture " +
         (type.empty() ? std::string("(no model_type)") : "'" + type + "'") +
         (arch.empty() ? "" : " (" + arch + ")") + " for sequence-to-sequence generation; supported: " + known(table) +
         (causal_loaders().count(type) ? " (it is a decoder-only model: use next)" : "") +
         (encoder_loaders().count(type) ? encoder_command_hint(arch) : ""));
  }
  return load_with_cache(dir, config, options, [&](Weights w, const ModelLoadOptions& o) { return it->second(config, std::move(w), o); });
}

namespace {

std::unique_ptr<EncoderModel> load_encoder(const std::filesystem::path& dir, const Config& config, EncoderHead head,
                                           const char* purpose, const ModelLoadOptions& options) {
  const std::string type = config.model_type();
  const auto& table = encoder_loaders();
  auto it = table.find(type);
  if (it == table.end()) {
    const std::string arch = config.first_architecture();
    fail(config.file().string() + ": unsupported architecture " +
         (type.empty() ? std::string("(no model_type)") : "'" + type + "'") +
         (arch.empty() ? "" : " (" + arch + ")") + " for " + purpose + "; supported: " + known(table) +
         (causal_loaders().count(type) ? " (it is a decoder-only model: use next, score or generate)" : "") +
         (seq2seq_loaders().count(type) ? " (it is an encoder-decoder model: use seq2seq)" : ""));
  }
  return load_with_cache(dir, config, options,
                         [&](Weights w, const ModelLoadOptions& o) { return it->second(config, std::move(w), head, o); });
}

}  // namespace

std::unique_ptr<EncoderModel> load_masked_lm(const std::filesystem::path& dir, const Config& config,
                                             const ModelLoadOptions& options) {
  return load_encoder(dir, config, EncoderHead::masked_lm, "fill-mask (masked language modelling)", options);
}

std::unique_ptr<EncoderModel> load_sequence_classifier(const std::filesystem::path& dir, const Config& config,
                                                       const ModelLoadOptions& options) {
  return load_encoder(dir, config, EncoderHead::sequence_classification, "sequence classification", options);
}

}  // namespace tokprob
