// classify task against ../shared/fixtures/distilbert-tiny-sst2/golden.json (classify[]: text,
// input_ids, logits, probs, labels, pipeline).
#include "tasks/classify.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fixtures.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

struct Classifier {
  std::unique_ptr<EncoderModel> model;
  Tokenizer tokenizer;
  nlohmann::json golden;
};

Classifier open_classifier(const std::filesystem::path& dir = fixtures_dir() / "distilbert-tiny-sst2") {
  return {load_sequence_classifier(dir, read_model_config(dir)), Tokenizer::from_folder(dir),
          load_json(fixtures_dir() / "distilbert-tiny-sst2" / "golden.json")};
}

std::vector<std::string> golden_texts(const nlohmann::json& golden) {
  std::vector<std::string> texts;
  for (const auto& c : golden["classify"]) texts.push_back(c["text"]);
  return texts;
}

TEST(Classify, MatchesPipeline) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto c = open_classifier();
  const auto texts = golden_texts(c.golden);
  const auto results = classify(*c.model, c.tokenizer, texts, {});
  ASSERT_EQ(results.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& g = c.golden["classify"][i];
    const auto& r = results[i];
    EXPECT_EQ(r.input_ids, g["input_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(r.function, ScoreFunction::softmax);
    ASSERT_EQ(r.labels.size(), g["pipeline"].size());
    for (size_t k = 0; k < r.labels.size(); ++k) {
      EXPECT_EQ(r.labels[k].label, g["pipeline"][k]["label"].get<std::string>()) << texts[i];
      EXPECT_NEAR(r.labels[k].prob, g["pipeline"][k]["score"].get<double>(), 1e-5) << texts[i];
      const auto id = r.labels[k].id;
      EXPECT_EQ(r.labels[k].label, g["labels"][id].get<std::string>());
      EXPECT_NEAR(r.labels[k].logit, g["logits"][id].get<double>(), 1e-4);
      EXPECT_NEAR(r.labels[k].prob, g["probs"][id].get<double>(), 1e-5);
    }
  }
}

TEST(Classify, FunctionOverrides) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto c = open_classifier();
  const auto& g = c.golden["classify"][0];
  const std::vector<std::string> text = {g["text"]};
  ClassifyOptions o;
  o.function = ScoreFunction::sigmoid;
  auto r = classify(*c.model, c.tokenizer, text, o)[0];
  EXPECT_EQ(r.function, ScoreFunction::sigmoid);
  for (const auto& l : r.labels)
    EXPECT_NEAR(l.prob, 1.0 / (1.0 + std::exp(-g["logits"][l.id].get<double>())), 1e-5);
  o.function = ScoreFunction::none;
  r = classify(*c.model, c.tokenizer, text, o)[0];
  for (const auto& l : r.labels) EXPECT_NEAR(l.prob, g["logits"][l.id].get<double>(), 1e-4);
  EXPECT_GE(r.labels[0].prob, r.labels[1].prob);

  EXPECT_EQ(parse_score_function("auto"), ScoreFunction::automatic);
  EXPECT_THROW(parse_score_function("softmin"), Error);
}

TEST(Classify, MultiLabelProblemTypeMeansSigmoid) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  testing::ModelFolderCopy copy("distilbert-tiny-sst2", "multilabel");
  auto cfg = copy.config();
  cfg["problem_type"] = "multi_label_classification";
  copy.write_config(cfg);
  auto c = open_classifier(copy.dir());
  const auto r = classify(*c.model, c.tokenizer, std::vector<std::string>{"Fine."}, {})[0];
  EXPECT_EQ(r.function, ScoreFunction::sigmoid);
  for (const auto& l : r.labels) EXPECT_NEAR(l.prob, 1.0 / (1.0 + std::exp(-double(l.logit))), 1e-9);
}

TEST(Classify, SentencePairAndBatch) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto c = open_classifier();
  ClassifyOptions o;
  o.pair = "It was great.";
  const std::vector<std::string> texts = {"A movie.", "Another movie, longer than the first one."};
  const auto both = classify(*c.model, c.tokenizer, texts, o);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].input_ids, c.tokenizer.encode_pair(texts[0], *o.pair).ids);
  EXPECT_EQ(std::count(both[0].input_ids.begin(), both[0].input_ids.end(), 102), 2);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto alone = classify(*c.model, c.tokenizer, std::span(&texts[i], 1), o)[0];
    for (size_t k = 0; k < alone.labels.size(); ++k) {
      EXPECT_EQ(both[i].labels[k].id, alone.labels[k].id);
      EXPECT_NEAR(both[i].labels[k].prob, alone.labels[k].prob, 1e-6);
    }
  }
}

TEST(Classify, BadRequests) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto c = open_classifier();
  EXPECT_THROW(classify(*c.model, c.tokenizer, std::vector<std::string>{""}, {}), Error);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "word ";
  EXPECT_THROW(classify(*c.model, c.tokenizer, std::vector<std::string>{long_text}, {}), Error);
}

}  // namespace
}  // namespace tokprob
