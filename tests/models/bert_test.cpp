// BERT masked LM against ../shared/fixtures/bert-tiny-mlm/golden.json (fill_mask[]: input_ids,
// mask_position, mask_logits, top10, all_positions_argmax).
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

std::unique_ptr<EncoderModel> open_bert_mlm() {
  const auto dir = fixtures_dir() / "bert-tiny-mlm";
  return load_masked_lm(dir, read_model_config(dir));
}

nlohmann::json golden() { return load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json"); }

// Logits tolerance of fixtures/README.md: 1e-4, relative to the row's max |logit| when that is > 1.
double logits_tolerance(const std::vector<float>& g) {
  double mx = 0;
  for (float v : g) mx = std::max(mx, std::abs(static_cast<double>(v)));
  return 1e-4 * std::max(1.0, mx);
}

TEST(Bert, MaskLogitsAndTop10MatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto model = open_bert_mlm();
  const int64_t V = model->info().vocab_size;
  const auto golden_json = golden();
  for (const auto& f : golden_json["fill_mask"]) {
    const auto ids = f["input_ids"].get<std::vector<int32_t>>();
    const int64_t mask = f["mask_position"].get<int64_t>();
    EncoderSequence seq{ids, {}, {mask}};
    const auto out = model->forward(std::span(&seq, 1));
    ASSERT_EQ(static_cast<int64_t>(out.mlm_logits.size()), V);
    EXPECT_TRUE(out.class_logits.empty());
    const auto g = f["mask_logits"].get<std::vector<float>>();
    ASSERT_EQ(static_cast<int64_t>(g.size()), V);
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(out.mlm_logits[i]) - g[i]));
    EXPECT_LE(max_diff, logits_tolerance(g)) << f["text"];
    Distribution d(out.mlm_logits);
    const auto top = d.top_k(10);
    for (size_t r = 0; r < 10; ++r) {
      EXPECT_EQ(top[r].id, f["top10"][r]["id"].get<int32_t>()) << f["text"] << " rank " << r;
      EXPECT_NEAR(std::exp(top[r].logprob), f["top10"][r]["prob"].get<double>(), 1e-5);
      EXPECT_NEAR(top[r].logit, f["top10"][r]["logit"].get<double>(), logits_tolerance(g));
    }
  }
}

TEST(Bert, AllPositionsArgmaxMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto model = open_bert_mlm();
  const int64_t V = model->info().vocab_size;
  const auto golden_json = golden();
  for (const auto& f : golden_json["fill_mask"]) {
    const auto ids = f["input_ids"].get<std::vector<int32_t>>();
    EncoderSequence seq{ids, {}, {}};
    for (size_t i = 0; i < ids.size(); ++i) seq.mlm_logits_for.push_back(static_cast<int64_t>(i));
    const auto out = model->forward(std::span(&seq, 1));
    const auto argmax = f["all_positions_argmax"].get<std::vector<int32_t>>();
    ASSERT_EQ(argmax.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      Distribution d(std::span<const float>(out.mlm_logits).subspan(i * V, V));
      EXPECT_EQ(d.argmax(), argmax[i]) << f["text"] << " position " << i;
    }
  }
}

TEST(Bert, RaggedBatchEqualsSequencesAlone) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto model = open_bert_mlm();
  const int64_t V = model->info().vocab_size;
  const auto g = golden()["fill_mask"];
  std::vector<std::vector<int32_t>> ids;
  std::vector<EncoderSequence> batch;
  for (const auto& f : g) ids.push_back(f["input_ids"].get<std::vector<int32_t>>());
  for (size_t s = 0; s < ids.size(); ++s) batch.push_back({ids[s], {}, {g[s]["mask_position"].get<int64_t>(), 0}});
  const auto both = model->forward(batch);
  ASSERT_EQ(both.mlm_logits.size(), 2 * ids.size() * V);
  for (size_t s = 0; s < ids.size(); ++s) {
    const auto alone = model->forward(std::span(&batch[s], 1));
    double max_diff = 0;
    for (int64_t i = 0; i < 2 * V; ++i)
      max_diff = std::max(max_diff, std::abs(double(both.mlm_logits[s * 2 * V + i]) - alone.mlm_logits[i]));
    EXPECT_LE(max_diff, 1e-4) << "sequence " << s;
  }
}

TEST(Bert, TokenTypesChangeTheResult) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto model = open_bert_mlm();
  const auto f = golden()["fill_mask"][0];
  const auto ids = f["input_ids"].get<std::vector<int32_t>>();
  const std::vector<int32_t> zeros(ids.size(), 0), ones(ids.size(), 1);
  const int64_t mask = f["mask_position"].get<int64_t>();
  std::vector<EncoderSequence> b = {{ids, {}, {mask}}, {ids, zeros, {mask}}, {ids, ones, {mask}}};
  const auto out = model->forward(b);
  const int64_t V = model->info().vocab_size;
  EXPECT_EQ(out.mlm_logits[5], out.mlm_logits[V + 5]);  // empty type ids mean all 0
  EXPECT_NE(out.mlm_logits[5], out.mlm_logits[2 * V + 5]);
}

// F16 weights go through the same loader (converted to fp32 once); the mask distribution stays
// close to the golden one (F16 rounding of the weights, not a parity test).
TEST(Bert, HalfPrecisionCheckpoint) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  testing::ModelFolderCopy copy("bert-tiny-mlm", "f16");
  copy.store_as_f16();
  auto model = load_masked_lm(copy.dir(), read_model_config(copy.dir()));
  const int64_t V = model->info().vocab_size;
  const auto golden_json = golden();
  for (const auto& f : golden_json["fill_mask"]) {
    const auto ids = f["input_ids"].get<std::vector<int32_t>>();
    EncoderSequence seq{ids, {}, {f["mask_position"].get<int64_t>()}};
    const auto out = model->forward(std::span(&seq, 1));
    const auto g = f["mask_logits"].get<std::vector<float>>();
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(out.mlm_logits[i]) - g[i]));
    EXPECT_LE(max_diff, 0.05) << f["text"];
    EXPECT_GT(max_diff, 0.0) << "weights were not rounded: the copy is not F16";
    EXPECT_EQ(Distribution(out.mlm_logits).argmax(), f["top10"][0]["id"].get<int32_t>()) << f["text"];
  }
}

TEST(Bert, RejectsBadSequences) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto model = open_bert_mlm();
  const std::vector<int32_t> too_long(model->info().max_positions + 1, 100), bad_id = {101, 30522, 102},
                             ok = {101, 103, 102}, bad_types = {0, 2, 0}, empty;
  auto run = [&](std::span<const int32_t> ids, std::span<const int32_t> types) {
    EncoderSequence s{ids, types, {}};
    return model->forward(std::span(&s, 1));
  };
  EXPECT_THROW(run(too_long, {}), Error);
  EXPECT_THROW(run(bad_id, {}), Error);
  EXPECT_THROW(run(ok, bad_types), Error);
  EXPECT_THROW(run(empty, {}), Error);
  EXPECT_NO_THROW(run(ok, {}));
}

TEST(Bert, WrongHeadAndBrokenCheckpoints) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = fixtures_dir() / "bert-tiny-mlm";
  try {
    load_sequence_classifier(dir, read_model_config(dir));
    FAIL() << "a masked LM loaded as a classifier";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sequence-classification"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_causal_lm(dir, read_model_config(dir)), Error);

  {  // hidden_size that does not match the tensors: the error names the tensor
    testing::ModelFolderCopy copy("bert-tiny-mlm", "shape");
    auto cfg = copy.config();
    cfg["hidden_size"] = 32;
    cfg["num_attention_heads"] = 2;
    copy.write_config(cfg);
    try {
      load_masked_lm(copy.dir(), read_model_config(copy.dir()));
      FAIL() << "wrong hidden_size accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("word_embeddings"), std::string::npos) << e.what();
    }
  }
  {  // heads that do not divide the hidden size, an unknown activation, relative positions
    for (auto [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"num_attention_heads", 5}, {"hidden_act", "wiggle"}, {"position_embedding_type", "relative_key"}}) {
      testing::ModelFolderCopy copy("bert-tiny-mlm", "cfg");
      auto cfg = copy.config();
      cfg[key] = value;
      copy.write_config(cfg);
      EXPECT_THROW(load_masked_lm(copy.dir(), read_model_config(copy.dir())), Error) << key;
    }
  }
  {  // a checkpoint without the MLM head (a bare BertModel's tensors)
    testing::ModelFolderCopy copy("bert-tiny-mlm", "nohead");
    copy.drop_tensors("cls.");
    try {
      load_masked_lm(copy.dir(), read_model_config(copy.dir()));
      FAIL() << "missing MLM head accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cls.predictions"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tokprob
