// A loaded model: what it is, which tasks it serves, and its tokenizer. The task functions
// (tokprob/tasks.hpp) take it; the CLI, the server and the Python package all go through it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokprob/load_options.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

enum class Task { next, score, generate, fill_mask, classify, seq2seq };

// "next", "score", "generate", "fill-mask", "classify", "seq2seq".
const char* task_name(Task task);

class Model {
 public:
  // Copies share the loaded weights; a model is safe to use from several threads at once.
  Model(const Model&) = default;
  Model& operator=(const Model&) = default;
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;
  ~Model();

  ModelKind kind() const;
  std::vector<Task> tasks() const;  // what kind() serves
  bool serves(Task task) const;

  const std::filesystem::path& folder() const;  // where the files were read
  const std::string& model_type() const;        // config.json "model_type", e.g. "gpt2"
  const std::string& architecture() const;      // config.json "architectures"[0], e.g. "GPT2LMHeadModel"
  int64_t vocab_size() const;                   // rows of the output projection (the word embeddings of an encoder)
  int64_t max_positions() const;                // longest sequence the model takes; 0: no fixed limit
  WeightFormat weight_format() const;
  // Classifiers: label names by id (config.json id2label); empty for other kinds.
  const std::vector<std::string>& labels() const;
  // generation_config.json's eos_token_id (one id or a list), else config.json's; may be empty.
  const std::vector<int32_t>& eos_token_ids() const;
  // Throws naming the folder when it has no tokenizer files (a model of weights alone still
  // computes the logits of token ids: tokprob/logits.hpp).
  const Tokenizer& tokenizer() const;
  bool has_tokenizer() const;

  // Throws a usage error naming the model's kind and the tasks it serves unless it serves `task`.
  void require(Task task) const;

  struct Impl;  // the engine's side (src/api/model_impl.hpp)
  const Impl& impl() const { return *impl_; }
  explicit Model(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

// Loads a Hugging Face model folder as save_pretrained writes it (config.json, safetensors
// weights, tokenizer files). Throws tokprob::Error naming the file at fault, or the architecture
// when tokprob does not know it. Hugging Face model ids: tokprob::load (tokprob/hub.hpp).
Model load_folder(const std::filesystem::path& folder, const LoadOptions& options = {});

}  // namespace tokprob
