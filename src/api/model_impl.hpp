// The engine's side of tokprob::Model: the loaded network of the model's kind, and what the task
// functions read beside it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "models/causal_lm.hpp"
#include "models/encoder_model.hpp"
#include "io/generation_defaults.hpp"
#include "models/seq2seq_lm.hpp"
#include "tokprob/model.hpp"
#include "tokprob/word_boundaries.hpp"

namespace tokprob {

struct Model::Impl {
  Impl(std::filesystem::path folder, ModelKind kind, std::optional<Tokenizer> tokenizer)
      : folder(std::move(folder)), kind(kind), tokenizer_(std::move(tokenizer)) {}

  std::filesystem::path folder;
  ModelKind kind = ModelKind::causal_lm;
  std::string model_type, architecture;
  int64_t vocab_size = 0, max_positions = 0;
  WeightFormat weights = WeightFormat::f32;
  std::vector<std::string> labels;
  std::vector<int32_t> eos_token_ids;
  // A folder of weights alone has no tokenizer: its model still computes logits of token ids.
  std::optional<Tokenizer> tokenizer_;
  const Tokenizer& tokenizer() const;
  // The tokenizer's, read on first use (score's words), then kept; thread-safe.
  const WordBoundaries& word_boundaries() const;
  // Exactly one is set, as `kind` says.
  std::shared_ptr<const CausalLM> causal;
  std::shared_ptr<const EncoderModel> encoder;
  std::shared_ptr<const Seq2SeqLM> seq2seq;
  GenerationDefaults generation;  // seq2seq: the folder's generation settings

  // The network for `task`; a usage error naming the kind and its tasks when it does not serve it.
  const CausalLM& causal_lm(Task task) const;
  const EncoderModel& encoder_model(Task task) const;
  const Seq2SeqLM& seq2seq_lm(Task task) const;

 private:
  mutable std::once_flag word_boundaries_once_;
  mutable WordBoundaries word_boundaries_;
};

}  // namespace tokprob
