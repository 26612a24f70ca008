#include "tasks/zero_shot.hpp"

#include <algorithm>
#include <cmath>

#include "format/quoted_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

std::vector<std::string> parse_candidate_labels(const std::string& comma_separated) {
  static const char* const kSpace = " \t\n\r\v\f";
  std::vector<std::string> labels;
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t end = comma_separated.find(',', start);
    if (end == std::string::npos) end = comma_separated.size();
    const std::string part = comma_separated.substr(start, end - start);
    const size_t first = part.find_first_not_of(kSpace);
    if (first != std::string::npos) labels.push_back(part.substr(first, part.find_last_not_of(kSpace) - first + 1));
    start = end + 1;
  }
  if (labels.empty()) option_error("candidate_labels", "must name at least one label");
  return labels;
}

std::string hypothesis_for(const std::string& hypothesis_template, const std::string& label) {
  std::string out;
  bool placed = false;
  for (size_t i = 0; i < hypothesis_template.size(); ++i) {
    const char c = hypothesis_template[i];
    const bool doubled = i + 1 < hypothesis_template.size() && hypothesis_template[i + 1] == c;
    if ((c == '{' || c == '}') && doubled) {
      out += c;
      ++i;
    } else if (c == '{' && hypothesis_template.compare(i, 2, "{}") == 0) {
      out += label;
      placed = true;
      ++i;
    } else if (c == '{' && hypothesis_template.compare(i, 3, "{0}") == 0) {
      out += label;
      placed = true;
      i += 2;
    } else if (c == '{' || c == '}') {
      option_error("hypothesis_template",
                   "may use braces only as {} (or {0}) for the label and {{ or }} for a brace, got '" +
                       hypothesis_template + "'");
    } else {
      out += c;
    }
  }
  if (!placed) option_error("hypothesis_template", "must hold {} where the label goes, got '" + hypothesis_template + "'");
  return out;
}

int64_t entailment_label(const EncoderInfo& info) {
  std::string names;
  for (size_t l = 0; l < info.labels.size(); ++l) {
    std::string lower = info.labels[l];
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.starts_with("entail")) return static_cast<int64_t>(l);
    names += (names.empty() ? "" : ", ") + info.labels[l];
  }
  fail("zero-shot classification needs an NLI model with an entailment label in config.json id2label; " +
       info.architecture + " has " + names);
}

namespace {

// softmax(a, b)[1] = 1 / (1 + e^(a - b))
double second_of_two(double a, double b) { return 1.0 / (1.0 + std::exp(a - b)); }

}  // namespace

std::vector<ClassifyResult> zero_shot_classify(const EncoderModel& model, const Tokenizer& tokenizer,
                                               std::span<const std::string> texts, const ClassifyOptions& options) {
  const EncoderInfo& info = model.info();
  if (info.head != EncoderHead::sequence_classification)
    fail("zero-shot classification needs an NLI sequence classifier; " + info.architecture + " is not one");
  const auto& candidates = options.candidate_labels;
  std::vector<std::string> hypotheses;
  for (const auto& label : candidates) hypotheses.push_back(hypothesis_for(options.hypothesis_template, label));
  const int64_t entail = entailment_label(info);
  const int64_t L = static_cast<int64_t>(info.labels.size());
  // The pipeline's contradiction: label 0, or the last label when entailment is label 0.
  const int64_t contradict = entail == 0 ? L - 1 : 0;
  const size_t N = candidates.size();

  std::vector<ClassifyResult> results;
  std::vector<std::vector<int32_t>> ids, type_ids;
  for (const auto& text : texts) {
    if (text.empty()) usage_error("empty text: give the text to classify");
    for (const auto& hypothesis : hypotheses) {
      const Encoding enc = tokenizer.encode_pair(text, hypothesis);
      if (static_cast<int64_t>(enc.ids.size()) > info.max_positions)
        fail("text " + quoted_excerpt(text) + " with the hypothesis " + quoted_excerpt(hypothesis) + " has " +
             std::to_string(enc.ids.size()) + " tokens, more than the model's " + std::to_string(info.max_positions) +
             " positions");
      ids.push_back(enc.ids);
      type_ids.push_back(info.type_vocab_size > 0 ? enc.type_ids : std::vector<int32_t>{});
    }
  }
  std::vector<EncoderSequence> batch;
  for (size_t s = 0; s < ids.size(); ++s) batch.push_back({ids[s], type_ids[s], {}});
  const EncoderOutput out = model.forward(batch);

  const bool per_label = options.multi_label || N == 1;
  for (size_t t = 0; t < texts.size(); ++t) {
    ClassifyResult r;
    r.text = texts[t];
    r.hypothesis_template = options.hypothesis_template;
    r.multi_label = options.multi_label;
    r.function = ScoreFunction::softmax;
    auto logit = [&](size_t c, int64_t label) { return out.class_logits[(t * N + c) * L + label]; };
    double most = -INFINITY;
    for (size_t c = 0; c < N; ++c) most = std::max(most, static_cast<double>(logit(c, entail)));
    double sum = 0;
    for (size_t c = 0; c < N; ++c) sum += std::exp(static_cast<double>(logit(c, entail)) - most);
    for (size_t c = 0; c < N; ++c) {
      LabelScore ls;
      ls.label = candidates[c];
      ls.id = static_cast<int64_t>(c);
      ls.logit = logit(c, entail);
      ls.prob = per_label ? second_of_two(logit(c, contradict), logit(c, entail))
                          : std::exp(static_cast<double>(logit(c, entail)) - most) / sum;
      ls.input_ids = ids[t * N + c];
      r.labels.push_back(std::move(ls));
    }
    // Most likely first; equal scores by the later candidate, as reversing the pipeline's argsort does.
    std::reverse(r.labels.begin(), r.labels.end());
    std::stable_sort(r.labels.begin(), r.labels.end(),
                     [](const LabelScore& a, const LabelScore& b) { return a.prob > b.prob; });
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tokprob
