// Zero-shot classification: the pipeline's reading of candidate labels and hypothesis templates,
// the errors, and the scores on the DistilBERT fixture relabelled as an NLI model, against the same
// pairs classified one by one (their raw logits) and the pipeline's formulas computed here.
#include "tasks/zero_shot.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"
#include "tasks/classify.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::ModelFolderCopy;

std::string option_failure(const std::function<void()>& f, std::string* field = nullptr) {
  try {
    f();
  } catch (const OptionError& e) {
    if (field) *field = e.field();
    return e.what();
  }
  return "";
}

TEST(ZeroShot, CandidateLabelsSplitOnCommasStrippedAndNonEmpty) {
  EXPECT_EQ(parse_candidate_labels("sports,politics, science "),
            (std::vector<std::string>{"sports", "politics", "science"}));
  EXPECT_EQ(parse_candidate_labels(" a b ,,\tc,"), (std::vector<std::string>{"a b", "c"}));
  std::string field;
  EXPECT_NE(option_failure([] { parse_candidate_labels(" , ,"); }, &field).find("at least one label"),
            std::string::npos);
  EXPECT_EQ(field, "candidate_labels");
}

TEST(ZeroShot, HypothesisTemplateAsPythonFormat) {
  EXPECT_EQ(hypothesis_for("This example is {}.", "sports"), "This example is sports.");
  EXPECT_EQ(hypothesis_for("{0} or {0}?", "x"), "x or x?");
  EXPECT_EQ(hypothesis_for("{{{}}}", "x"), "{x}");
  std::string field;
  EXPECT_NE(option_failure([] { hypothesis_for("No place for it.", "x"); }, &field).find("must hold {}"),
            std::string::npos);
  EXPECT_EQ(field, "hypothesis_template");
  EXPECT_NE(option_failure([] { hypothesis_for("About {label}.", "x"); }).find("braces"), std::string::npos);
  EXPECT_NE(option_failure([] { hypothesis_for("Unclosed {", "x"); }).find("braces"), std::string::npos);
}

TEST(ZeroShot, EntailmentLabelIsTheFirstStartingWithEntail) {
  EncoderInfo info;
  info.labels = {"CONTRADICTION", "neutral", "Entailment"};
  EXPECT_EQ(entailment_label(info), 2);
  info.labels = {"entails", "other"};
  EXPECT_EQ(entailment_label(info), 0);
}

TEST(ZeroShot, RefusesAModelWithoutAnEntailmentLabel) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const auto dir = testing::fixtures_dir() / "distilbert-tiny-sst2";  // NEGATIVE, POSITIVE
  const auto model = load_sequence_classifier(dir, read_model_config(dir));
  const Tokenizer tokenizer = Tokenizer::from_folder(dir);
  ClassifyOptions o;
  o.candidate_labels = {"sports", "politics"};
  const std::vector<std::string> texts = {"a fine game"};
  try {
    classify(*model, tokenizer, texts, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("entailment label"), std::string::npos) << what;
    EXPECT_NE(what.find("NEGATIVE, POSITIVE"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

// The fixture with its two labels renamed: label `entail` is the entailment one.
struct Nli {
  explicit Nli(int entail) : folder("distilbert-tiny-sst2", "nli" + std::to_string(entail)) {
    auto config = folder.config();
    config["id2label"] = {{"0", entail == 0 ? "entailment" : "contradiction"},
                          {"1", entail == 1 ? "entailment" : "contradiction"}};
    config["label2id"] = {{config["id2label"]["0"], 0}, {config["id2label"]["1"], 1}};
    folder.write_config(config);
    model = load_sequence_classifier(folder.dir(), read_model_config(folder.dir()));
  }
  // The raw logits of (text, hypothesis) through the plain pair classification.
  std::vector<float> logits(const Tokenizer& tokenizer, const std::string& text, const std::string& hypothesis) const {
    ClassifyOptions o;
    o.function = ScoreFunction::none;
    o.pair = hypothesis;
    const std::vector<std::string> texts = {text};
    const auto r = classify(*model, tokenizer, texts, o);
    std::vector<float> out(2);
    for (const auto& l : r[0].labels) out[l.id] = l.logit;
    return out;
  }
  ModelFolderCopy folder;
  std::unique_ptr<EncoderModel> model;
};

void expect_pipeline_scores(int entail, bool multi_label, const std::vector<std::string>& candidates) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const Nli nli(entail);
  const Tokenizer tokenizer = Tokenizer::from_folder(nli.folder.dir());
  ClassifyOptions o;
  o.candidate_labels = candidates;
  o.hypothesis_template = "It is about {}.";
  o.multi_label = multi_label;
  const std::vector<std::string> texts = {"the match went to extra time", "a vote in parliament"};
  const auto results = classify(*nli.model, tokenizer, texts, o);
  ASSERT_EQ(results.size(), texts.size());
  const int contradiction = 1 - entail;  // two labels: the pipeline's 0, or -1 (the last) when 0 entails
  for (size_t t = 0; t < texts.size(); ++t) {
    std::vector<double> want(candidates.size()), entail_logit(candidates.size());
    double sum = 0;
    for (size_t c = 0; c < candidates.size(); ++c) {
      const auto z = nli.logits(tokenizer, texts[t], "It is about " + candidates[c] + ".");
      entail_logit[c] = z[entail];
      want[c] = multi_label || candidates.size() == 1
                    ? std::exp(z[entail]) / (std::exp(z[entail]) + std::exp(z[contradiction]))
                    : std::exp(z[entail]);
      sum += want[c];
    }
    if (!multi_label && candidates.size() > 1)
      for (double& w : want) w /= sum;
    const auto& r = results[t];
    ASSERT_EQ(r.labels.size(), candidates.size());
    EXPECT_TRUE(r.input_ids.empty());
    EXPECT_EQ(r.hypothesis_template, "It is about {}.");
    for (size_t k = 0; k < r.labels.size(); ++k) {
      const auto& l = r.labels[k];
      EXPECT_EQ(l.label, candidates[l.id]);
      EXPECT_NEAR(l.prob, want[l.id], 1e-6) << l.label;
      EXPECT_NEAR(l.logit, entail_logit[l.id], 1e-5) << l.label;
      EXPECT_EQ(l.input_ids, tokenizer.encode_pair(texts[t], "It is about " + l.label + ".").ids);
      if (k > 0) {
        EXPECT_GE(r.labels[k - 1].prob, l.prob);
      }
    }
  }
}

TEST(ZeroShot, SingleLabelIsASoftmaxOfEntailmentOverCandidates) {
  expect_pipeline_scores(1, false, {"sports", "politics", "science"});
}
TEST(ZeroShot, MultiLabelIsEntailmentAgainstContradictionPerCandidate) {
  expect_pipeline_scores(1, true, {"sports", "politics", "science"});
}
TEST(ZeroShot, EntailmentFirstTakesTheLastLabelAsContradiction) {
  expect_pipeline_scores(0, true, {"sports", "politics"});
}
TEST(ZeroShot, OneCandidateIsScoredOnItsOwn) { expect_pipeline_scores(1, false, {"sports"}); }

}  // namespace
}  // namespace tokprob
