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
  // Zero-shot classification when not empty (the zero-shot-classification pipeline on an NLI
  // model): each text is the premise of one pair per candidate label, whose hypothesis is
  // hypothesis_template with the label put in its "{}". Scores: a softmax over the candidates of
  // the entailment logits; with multi_label (or a single candidate), for each candidate apart the
  // softmax of its entailment and contradiction logits. `function` and `pair` do not apply.
  std::vector<std::string> candidate_labels;
  std::string hypothesis_template = "This example is {}.";
  bool multi_label = false;
};

// The pipeline's reading of a comma-separated candidate list: split on ",", each label stripped of
// surrounding whitespace, empty ones dropped. Throws an OptionError for the field
// "candidate_labels" when none is left.
std::vector<std::string> parse_candidate_labels(const std::string& comma_separated);

// `hypothesis_template` with `label` in place of its "{}" (or "{0}"), "{{" and "}}" read as braces,
// as Python's str.format does. Throws an OptionError for the field "hypothesis_template" for any
// other use of braces, or when the template has no place for the label.
std::string hypothesis_for(const std::string& hypothesis_template, const std::string& label);

struct LabelScore {
  std::string label;  // config.json id2label
  int64_t id = 0;
  double prob = 0;    // the score after `function` (with `none`, the logit itself)
  float logit = 0;    // zero-shot: the entailment logit of this label's pair
  std::vector<int32_t> input_ids;  // zero-shot only: the ids of this label's premise/hypothesis pair
};

struct ClassifyResult {
  std::string text;
  std::optional<std::string> pair;
  std::vector<int32_t> input_ids;  // empty for zero-shot (each label has its pair's)
  // Zero-shot: the template and scoring used (labels then are the candidates, id their index).
  std::optional<std::string> hypothesis_template;
  bool multi_label = false;
  ScoreFunction function = ScoreFunction::softmax;  // the one applied (never automatic)
  std::vector<LabelScore> labels;                   // most likely first; equal scores by lower id
};

// Label probabilities of a sequence classifier (all texts as one batch).
std::vector<ClassifyResult> classify(const Model& model, std::span<const std::string> texts,
                                     const ClassifyOptions& options = {});

}  // namespace tokprob
