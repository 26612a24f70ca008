// DistilBERT sequence classifier against ../shared/fixtures/distilbert-tiny-sst2/golden.json
// (classify[]: input_ids, logits, probs, labels; classify_batched_padded: input_ids,
// attention_mask, logits).
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "generate/distribution.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

std::unique_ptr<EncoderModel> open_classifier() {
  const auto dir = fixtures_dir() / "distilbert-tiny-sst2";
  return load_sequence_classifier(dir, read_model_config(dir));
}

nlohmann::json golden() { return load_json(fixtures_dir() / "distilbert-tiny-sst2" / "golden.json"); }

double logits_tolerance(const std::vector<float>& g) {
  double mx = 0;
  for (float v : g) mx = std::max(mx, std::abs(static_cast<double>(v)));
  return 1e-4 * std::max(1.0, mx);
}

TEST(DistilBert, ClassifyLogitsMatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto model = open_classifier();
  const auto& info = model->info();
  EXPECT_EQ(info.head, EncoderHead::sequence_classification);
  EXPECT_EQ(info.type_vocab_size, 0);
  for (const auto& c : golden()["classify"]) {
    EXPECT_EQ(info.labels, c["labels"].get<std::vector<std::string>>());
    const auto ids = c["input_ids"].get<std::vector<int32_t>>();
    EncoderSequence seq{ids, {}, {}};
    const auto out = model->forward(std::span(&seq, 1));
    EXPECT_TRUE(out.mlm_logits.empty());
    const auto g = c["logits"].get<std::vector<float>>();
    ASSERT_EQ(out.class_logits.size(), g.size());
    for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(out.class_logits[i], g[i], logits_tolerance(g)) << c["text"];
    Distribution d(out.class_logits);
    const auto probs = c["probs"].get<std::vector<double>>();
    for (size_t i = 0; i < g.size(); ++i)
      EXPECT_NEAR(d.prob(static_cast<int32_t>(i)), probs[i], 1e-5) << c["text"];
  }
}

// The padded batch of the reference, packed by its attention mask, gives its logits.
TEST(DistilBert, PaddedBatchGivesUnpaddedLogits) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto model = open_classifier();
  const auto b = golden()["classify_batched_padded"];
  const auto padded = b["input_ids"].get<std::vector<std::vector<int32_t>>>();
  const auto mask = b["attention_mask"].get<std::vector<std::vector<int>>>();
  std::vector<std::vector<int32_t>> rows;
  for (size_t s = 0; s < padded.size(); ++s) {
    rows.emplace_back();
    for (size_t i = 0; i < padded[s].size(); ++i)
      if (mask[s][i]) rows.back().push_back(padded[s][i]);
  }
  std::vector<EncoderSequence> batch;
  for (const auto& r : rows) batch.push_back({r, {}, {}});
  const auto out = model->forward(batch);
  const auto g = b["logits"].get<std::vector<std::vector<float>>>();
  const size_t L = model->info().labels.size();
  ASSERT_EQ(out.class_logits.size(), g.size() * L);
  for (size_t s = 0; s < g.size(); ++s)
    for (size_t l = 0; l < L; ++l)
      EXPECT_NEAR(out.class_logits[s * L + l], g[s][l], logits_tolerance(g[s])) << "row " << s;
}

TEST(DistilBert, RejectsTokenTypesAndWrongHead) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  auto model = open_classifier();
  const std::vector<int32_t> ids = {101, 7592, 102, 2088, 102}, types = {0, 0, 0, 1, 1};
  EncoderSequence pair{ids, types, {}};
  EXPECT_THROW(model->forward(std::span(&pair, 1)), Error);
  EncoderSequence mlm{ids, {}, {1}};
  EXPECT_THROW(model->forward(std::span(&mlm, 1)), Error);

  const auto dir = fixtures_dir() / "distilbert-tiny-sst2";
  try {
    load_masked_lm(dir, read_model_config(dir));
    FAIL() << "a classifier loaded as a masked LM";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("masked-LM"), std::string::npos) << e.what();
  }
}

TEST(DistilBert, BrokenCheckpoints) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  {  // three labels in config.json, two rows in the classifier: the error names the tensor
    testing::ModelFolderCopy copy("distilbert-tiny-sst2", "labels");
    auto cfg = copy.config();
    cfg["id2label"] = {{"0", "a"}, {"1", "b"}, {"2", "c"}};
    copy.write_config(cfg);
    try {
      load_sequence_classifier(copy.dir(), read_model_config(copy.dir()));
      FAIL() << "three labels accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("classifier.weight"), std::string::npos) << e.what();
    }
  }
  {  // id2label with a gap
    testing::ModelFolderCopy copy("distilbert-tiny-sst2", "gap");
    auto cfg = copy.config();
    cfg["id2label"] = {{"0", "a"}, {"2", "c"}};
    copy.write_config(cfg);
    EXPECT_THROW(load_sequence_classifier(copy.dir(), read_model_config(copy.dir())), Error);
  }
  {  // classifier weights missing
    testing::ModelFolderCopy copy("distilbert-tiny-sst2", "nohead");
    copy.drop_tensors("classifier.");
    try {
      load_sequence_classifier(copy.dir(), read_model_config(copy.dir()));
      FAIL() << "missing classifier accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("classifier.weight"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("sequence-classification"), std::string::npos) << e.what();
    }
  }
  {  // an activation DistilBERT does not know
    testing::ModelFolderCopy copy("distilbert-tiny-sst2", "act");
    auto cfg = copy.config();
    cfg["activation"] = "swoosh";
    copy.write_config(cfg);
    EXPECT_THROW(load_sequence_classifier(copy.dir(), read_model_config(copy.dir())), Error);
  }
}

}  // namespace
}  // namespace tokprob
