#include "tasks/classify.hpp"

#include <algorithm>
#include <cmath>

#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "tasks/zero_shot.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

ScoreFunction parse_score_function(const std::string& name) {
  if (name == "auto") return ScoreFunction::automatic;
  if (name == "softmax") return ScoreFunction::softmax;
  if (name == "sigmoid") return ScoreFunction::sigmoid;
  if (name == "none") return ScoreFunction::none;
  option_error("function", "must be auto, softmax, sigmoid or none, got '" + name + "'");
}

const char* score_function_name(ScoreFunction f) {
  switch (f) {
    case ScoreFunction::automatic: return "auto";
    case ScoreFunction::softmax: return "softmax";
    case ScoreFunction::sigmoid: return "sigmoid";
    case ScoreFunction::none: return "none";
  }
  return "?";
}

namespace {

ScoreFunction resolve(ScoreFunction f, const EncoderInfo& info) {
  if (f != ScoreFunction::automatic) return f;
  if (info.problem_type == "multi_label_classification" || info.labels.size() == 1) return ScoreFunction::sigmoid;
  return ScoreFunction::softmax;
}

}  // namespace

std::vector<ClassifyResult> classify(const EncoderModel& model, const Tokenizer& tokenizer,
                                     std::span<const std::string> texts, const ClassifyOptions& options) {
  if (!options.candidate_labels.empty()) return zero_shot_classify(model, tokenizer, texts, options);
  const EncoderInfo& info = model.info();
  if (info.head != EncoderHead::sequence_classification)
    fail("classify needs a sequence classifier; " + info.architecture + " is not one");
  const size_t L = info.labels.size();
  const ScoreFunction function = resolve(options.function, info);

  std::vector<ClassifyResult> results;
  std::vector<std::vector<int32_t>> type_ids;
  for (const auto& text : texts) {
    if (text.empty()) usage_error("empty text: give the text to classify");
    const Encoding enc = options.pair ? tokenizer.encode_pair(text, *options.pair) : tokenizer.encode(text);
    if (static_cast<int64_t>(enc.ids.size()) > info.max_positions)
      fail("text " + quoted_excerpt(text) + " has " + std::to_string(enc.ids.size()) + " tokens, more than the model's " +
           std::to_string(info.max_positions) + " positions");
    ClassifyResult r;
    r.text = text;
    r.pair = options.pair;
    r.input_ids = enc.ids;
    r.function = function;
    results.push_back(std::move(r));
    // A model without token types (DistilBERT) reads a pair from its separator alone.
    type_ids.push_back(info.type_vocab_size > 0 ? enc.type_ids : std::vector<int32_t>{});
  }

  std::vector<EncoderSequence> batch;
  for (size_t s = 0; s < results.size(); ++s) batch.push_back({results[s].input_ids, type_ids[s], {}});
  const EncoderOutput out = model.forward(batch);

  for (size_t s = 0; s < results.size(); ++s) {
    const std::span<const float> logits = std::span<const float>(out.class_logits).subspan(s * L, L);
    const Distribution dist(logits);
    auto& labels = results[s].labels;
    for (size_t l = 0; l < L; ++l) {
      LabelScore ls;
      ls.label = info.labels[l];
      ls.id = static_cast<int64_t>(l);
      ls.logit = logits[l];
      switch (function) {
        case ScoreFunction::softmax: ls.prob = dist.prob(static_cast<int32_t>(l)); break;
        case ScoreFunction::sigmoid: ls.prob = 1.0 / (1.0 + std::exp(-static_cast<double>(logits[l]))); break;
        default: ls.prob = logits[l]; break;
      }
      labels.push_back(std::move(ls));
    }
    std::stable_sort(labels.begin(), labels.end(), [](const LabelScore& a, const LabelScore& b) { return a.prob > b.prob; });
  }
  return results;
}

}  // namespace tokprob
