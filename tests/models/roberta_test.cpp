// RoBERTa has no fixture of its own; its difference from BERT is naming and position numbering, so
// bert-tiny-mlm rewritten as a RoBERTa checkpoint (roberta.* and lm_head.* tensor names, the
// position table shifted down by pad_token_id + 1) must reproduce BERT's golden logits, and a
// padding token inside a sequence must take the table row RoBERTa gives it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "fixtures.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;
using testing::ModelFolderCopy;

constexpr int32_t kPad = 1;  // RoBERTa's own pad id; [unused0] in BERT's vocabulary, in no golden input

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

std::string random_bytes(size_t floats, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.3f);
  std::string out(floats * 4, '\0');
  for (size_t i = 0; i < floats; ++i) {
    const float v = d(rng);
    std::memcpy(out.data() + 4 * i, &v, 4);
  }
  return out;
}

// bert-tiny-mlm as RobertaForMaskedLM (or, with `classifier`, both checkpoints given the same
// random classification head, BERT's on its pooler and RoBERTa's on classifier.dense).
// RoBERTa row kPad + 1 + p holds BERT's row p; the padding row kPad holds BERT's row 2.
void write_roberta(const ModelFolderCopy& copy, bool classifier) {
  auto config = copy.config();
  const int64_t C = config["hidden_size"], P = config["max_position_embeddings"];
  config["model_type"] = "roberta";
  config["architectures"] = {classifier ? "RobertaForSequenceClassification" : "RobertaForMaskedLM"};
  config["pad_token_id"] = kPad;
  config["max_position_embeddings"] = P + kPad + 1;
  copy.write_config(config);
  std::vector<ModelFolderCopy::ExtraTensor> extra;
  if (classifier)
    extra = {{"classifier.dense.weight", "F32", {C, C}, random_bytes(C * C, 1)},
             {"classifier.dense.bias", "F32", {C}, random_bytes(C, 2)},
             {"classifier.out_proj.weight", "F32", {2, C}, random_bytes(2 * C, 3)},
             {"classifier.out_proj.bias", "F32", {2}, random_bytes(2, 4)}};
  copy.rewrite_tensors(
      [&](std::string& name, nlohmann::json& info, std::string& bytes) {
        if (name.rfind("cls.", 0) == 0) {
          if (classifier) return false;
          for (const auto& [from, to] : {std::pair<std::string, std::string>{"cls.predictions.transform.dense.", "lm_head.dense."},
                                         {"cls.predictions.transform.LayerNorm.", "lm_head.layer_norm."},
                                         {"cls.predictions.bias", "lm_head.bias"},
                                         {"cls.predictions.decoder.", "lm_head.decoder."}})
            if (name.rfind(from, 0) == 0) name = to + name.substr(from.size());
          return true;
        }
        if (name.rfind("bert.", 0) == 0) name = "roberta." + name.substr(5);
        if (name == "roberta.embeddings.position_embeddings.weight") {
          const size_t row = static_cast<size_t>(C) * 4;
          std::string shifted = bytes.substr(0, row) + bytes.substr(2 * row, row) + bytes;  // rows 0, 1 (= 2), then all
          bytes = shifted;
          info["shape"] = {P + kPad + 1, C};
        }
        return true;
      },
      extra);
}

TEST(Roberta, MaskLogitsMatchTheBertGolden) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  ModelFolderCopy copy("bert-tiny-mlm", "roberta");
  write_roberta(copy, false);
  const auto model = load_masked_lm(copy.dir(), read_model_config(copy.dir()));
  EXPECT_EQ(model->info().model_type, "roberta");
  EXPECT_EQ(model->info().max_positions, copy.config()["max_position_embeddings"].get<int64_t>());
  const auto golden = load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json");
  for (const auto& f : golden["fill_mask"]) {
    const auto ids = f["input_ids"].get<std::vector<int32_t>>();
    ASSERT_EQ(std::count(ids.begin(), ids.end(), kPad), 0);
    EncoderSequence seq{ids, {}, {f["mask_position"].get<int64_t>()}};
    const auto out = model->forward(std::span(&seq, 1));
    const auto g = f["mask_logits"].get<std::vector<float>>();
    double scale = 1;
    for (float v : g) scale = std::max(scale, double(std::abs(v)));
    EXPECT_LE(max_abs_diff(out.mlm_logits, g), 1e-4 * scale) << f["text"];
  }
}

TEST(Roberta, PaddingTokenTakesThePaddingRowAndDoesNotCount) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  ModelFolderCopy copy("bert-tiny-mlm", "roberta_pad");
  write_roberta(copy, false);
  const auto roberta = load_masked_lm(copy.dir(), read_model_config(copy.dir()));
  const auto bert = load_masked_lm(fixtures_dir() / "bert-tiny-mlm", read_model_config(fixtures_dir() / "bert-tiny-mlm"));
  // RoBERTa [a, PAD, b] numbers a, b as the first and second tokens (BERT rows 0, 1) and PAD with
  // its own row (BERT's row 2): the same tokens at the same rows as BERT's [a, b, PAD].
  const std::vector<int32_t> r_ids = {101, kPad, 2003}, b_ids = {101, 2003, kPad};
  EncoderSequence r{r_ids, {}, {0, 1, 2}}, b{b_ids, {}, {0, 2, 1}};
  const auto ro = roberta->forward(std::span(&r, 1)).mlm_logits, bo = bert->forward(std::span(&b, 1)).mlm_logits;
  EXPECT_LE(max_abs_diff(ro, bo), 1e-4);
}

TEST(Roberta, PositionsLeftAfterThePaddingOffset) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  ModelFolderCopy copy("bert-tiny-mlm", "roberta_len");
  write_roberta(copy, false);
  const auto model = load_masked_lm(copy.dir(), read_model_config(copy.dir()));
  const int64_t n = model->info().max_positions;
  std::vector<int32_t> ids(static_cast<size_t>(n), 2003);
  EncoderSequence fits{ids, {}, {n - 1}};
  EXPECT_NO_THROW(model->forward(std::span(&fits, 1)));
  ids.push_back(2003);
  EncoderSequence too_long{ids, {}, {0}};
  EXPECT_THROW(model->forward(std::span(&too_long, 1)), Error);
}

TEST(Roberta, ClassifierHeadMatchesBertsPoolerAndClassifier) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const int64_t C = load_json(fixtures_dir() / "bert-tiny-mlm" / "config.json")["hidden_size"];
  ModelFolderCopy roberta_dir("bert-tiny-mlm", "roberta_cls");
  write_roberta(roberta_dir, true);
  ModelFolderCopy bert_dir("bert-tiny-mlm", "bert_cls");
  auto config = bert_dir.config();
  config["architectures"] = {"BertForSequenceClassification"};
  bert_dir.write_config(config);
  bert_dir.rewrite_tensors([](std::string& name, nlohmann::json&, std::string&) { return name.rfind("cls.", 0) != 0; },
                           {{"bert.pooler.dense.weight", "F32", {C, C}, random_bytes(C * C, 1)},
                            {"bert.pooler.dense.bias", "F32", {C}, random_bytes(C, 2)},
                            {"classifier.weight", "F32", {2, C}, random_bytes(2 * C, 3)},
                            {"classifier.bias", "F32", {2}, random_bytes(2, 4)}});
  const auto r = load_sequence_classifier(roberta_dir.dir(), read_model_config(roberta_dir.dir()));
  const auto b = load_sequence_classifier(bert_dir.dir(), read_model_config(bert_dir.dir()));
  const std::vector<int32_t> ids = {101, 3000, 2003, 1996, 2605, 1012, 102};
  EncoderSequence seq{ids, {}, {}};
  const auto ro = r->forward(std::span(&seq, 1)).class_logits, bo = b->forward(std::span(&seq, 1)).class_logits;
  ASSERT_EQ(ro.size(), 2u);
  EXPECT_LE(max_abs_diff(ro, bo), 1e-4);
  EXPECT_GT(std::abs(ro[0] - ro[1]), 1e-3);  // a head that does something
}

TEST(Roberta, PadIdOutsideThePositionTableIsRefused) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  ModelFolderCopy copy("bert-tiny-mlm", "roberta_badpad");
  write_roberta(copy, false);
  auto config = copy.config();  // the fixture's: made RoBERTa's again, with another pad id
  config["model_type"] = "roberta";
  config["architectures"] = {"RobertaForMaskedLM"};
  config["max_position_embeddings"] = config["max_position_embeddings"].get<int64_t>() + kPad + 1;
  config["pad_token_id"] = 500;
  copy.write_config(config);
  try {
    load_masked_lm(copy.dir(), read_model_config(copy.dir()));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pad_token_id 500"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tokprob
