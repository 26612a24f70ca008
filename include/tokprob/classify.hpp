// The `classify` task: label probabilities of a sequence classifier (BERT, DistilBERT) for a text
// or a sentence pair, as the text-classification pipeline computes them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokprob/model.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// What turns logits into scores. `automatic` is the pipeline's rule: sigmoid when config.json says
// problem_type multi_label_classification or the model has one label, softmax otherwise.
enum class ScoreFunction { automatic, softmax, sigmoid, none };

// "auto", "softmax", "sigmoid", "none"; throws an OptionError for the field "function" otherwise.
ScoreFunction parse_score_function(const std::string& name);
const char* score_function_name(ScoreFunction f);

struct ClassifyOptions {
  ScoreFunction function = ScoreFunction::automatic;
  // Second text of a sentence pair (NLI-style models), paired with every text; token type ids 1
  // for it where the model has token types.
  std::optional<std::string> pair;
};

struct LabelScore {
  std::string label;  // config.json id2label
  int64_t id = 0;
  double prob = 0;    // the score after `function` (with `none`, the logit itself)
  float logit = 0;
};

struct ClassifyResult {
  std::string text;
  std::optional<std::string> pair;
  std::vector<int32_t> input_ids;
  ScoreFunction function = ScoreFunction::softmax;  // the one applied (never automatic)
  std::vector<LabelScore> labels;                   // most likely first; equal scores by lower id
};

// Label probabilities of a sequence classifier (all texts as one batch).
std::vector<ClassifyResult> classify(const Model& model, std::span<const std::string> texts,
                                     const ClassifyOptions& options = {});

}  // namespace tokprob
