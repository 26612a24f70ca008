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
  const auto golden_json = golden();
  for (const auto& c : golden_json["classify"]) {
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

// DistilBertForMaskedLM has no fixture of its own; BERT with token type 0 is the same function
// once the type-0 embedding is folded into the position table. So bert-tiny-mlm's tensors, renamed
// to DistilBERT's, must reproduce bert-tiny-mlm/golden.json (fill_mask[].mask_logits).
TEST(DistilBert, MaskedLmFromRenamedBertMatchesBertGolden) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  testing::ModelFolderCopy copy("bert-tiny-mlm", "as_distilbert");
  const auto bert = copy.config();
  copy.write_config({{"model_type", "distilbert"},
                     {"architectures", {"DistilBertForMaskedLM"}},
                     {"dim", bert["hidden_size"]},
                     {"n_heads", bert["num_attention_heads"]},
                     {"n_layers", bert["num_hidden_layers"]},
                     {"hidden_dim", bert["intermediate_size"]},
                     {"activation", bert["hidden_act"]},
                     {"max_position_embeddings", bert["max_position_embeddings"]},
                     {"vocab_size", bert["vocab_size"]},
                     {"sinusoidal_pos_embds", false},
                     {"pad_token_id", 0}});
  ASSERT_EQ(bert["layer_norm_eps"].get<double>(), 1e-12);  // DistilBERT's fixed eps
  const Weights src = Weights::open_folder(fixtures_dir() / "bert-tiny-mlm");
  const int64_t C = bert["hidden_size"].get<int64_t>();
  const float* type0 = src.f32("bert.embeddings.token_type_embeddings.weight", {bert["type_vocab_size"], C});
  const std::vector<std::pair<std::string, std::string>> renames = {
      {"bert.embeddings.", "distilbert.embeddings."},
      {"bert.encoder.layer.", "distilbert.transformer.layer."},
      {".attention.self.query.", ".attention.q_lin."},
      {".attention.self.key.", ".attention.k_lin."},
      {".attention.self.value.", ".attention.v_lin."},
      {".attention.output.dense.", ".attention.out_lin."},
      {".attention.output.LayerNorm.", ".sa_layer_norm."},
      {".intermediate.dense.", ".ffn.lin1."},
      {".output.dense.", ".ffn.lin2."},
      {".output.LayerNorm.", ".output_layer_norm."},
      {"cls.predictions.transform.dense.", "vocab_transform."},
      {"cls.predictions.transform.LayerNorm.", "vocab_layer_norm."},
      {"cls.predictions.bias", "vocab_projector.bias"},
  };
  copy.rewrite_tensors([&](std::string& name, nlohmann::json& info, std::string& bytes) {
    if (name == "bert.embeddings.token_type_embeddings.weight") return false;
    if (name == "bert.embeddings.position_embeddings.weight") {
      auto* rows = reinterpret_cast<float*>(bytes.data());
      EXPECT_EQ(info["dtype"], "F32");
      for (size_t i = 0; i < bytes.size() / sizeof(float); ++i) rows[i] += type0[i % C];
    }
    for (const auto& [from, to] : renames)
      if (const auto at = name.find(from); at != std::string::npos) name.replace(at, from.size(), to);
    return true;
  });
  auto model = load_masked_lm(copy.dir(), read_model_config(copy.dir()));
  EXPECT_EQ(model->info().model_type, "distilbert");
  const int64_t V = model->info().vocab_size;
  const auto golden_json = load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json");
  for (const auto& f : golden_json["fill_mask"]) {
    const auto ids = f["input_ids"].get<std::vector<int32_t>>();
    EncoderSequence seq{ids, {}, {f["mask_position"].get<int64_t>()}};
    const auto out = model->forward(std::span(&seq, 1));
    const auto g = f["mask_logits"].get<std::vector<float>>();
    ASSERT_EQ(static_cast<int64_t>(out.mlm_logits.size()), V);
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(out.mlm_logits[i]) - g[i]));
    EXPECT_LE(max_diff, logits_tolerance(g)) << f["text"];
  }
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
