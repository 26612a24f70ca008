// fill-mask task against ../shared/fixtures/bert-tiny-mlm/golden.json (fill_mask[]: text,
// input_ids, mask_position, mask_logits, top10, pipeline_top10 with sequence).
#include "tasks/fill_mask.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "generate/distribution.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

struct BertMlm {
  std::unique_ptr<EncoderModel> model;
  Tokenizer tokenizer;
  nlohmann::json golden;
};

BertMlm open_bert() {
  const auto dir = fixtures_dir() / "bert-tiny-mlm";
  return {load_masked_lm(dir, read_model_config(dir)), Tokenizer::from_folder(dir), load_json(dir / "golden.json")};
}

// log-sum-exp of a golden logits row, to turn any of its logits into a probability.
double golden_logsumexp(const std::vector<float>& row) {
  double mx = row[0], sum = 0;
  for (float v : row) mx = std::max(mx, double(v));
  for (float v : row) sum += std::exp(v - mx);
  return mx + std::log(sum);
}

TEST(FillMask, MatchesPipelineTop10) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto b = open_bert();
  std::vector<std::string> texts;
  for (const auto& f : b.golden["fill_mask"]) texts.push_back(f["text"]);
  const auto results = fill_mask(*b.model, b.tokenizer, texts, {});
  ASSERT_EQ(results.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& g = b.golden["fill_mask"][i];
    const auto& r = results[i];
    EXPECT_EQ(r.text, texts[i]);
    EXPECT_EQ(r.input_ids, g["input_ids"].get<std::vector<int32_t>>());
    ASSERT_EQ(r.masks.size(), 1u);
    const auto& m = r.masks[0];
    EXPECT_EQ(m.position, g["mask_position"].get<int64_t>());
    EXPECT_NEAR(m.logsumexp, golden_logsumexp(g["mask_logits"].get<std::vector<float>>()), 1e-4);
    const auto mask_logits = g["mask_logits"].get<std::vector<float>>();
    double max_abs = 0;
    for (float v : mask_logits) max_abs = std::max(max_abs, std::abs(double(v)));
    const double logit_tol = 1e-4 * std::max(1.0, max_abs);  // fixtures/README.md
    ASSERT_EQ(m.top.size(), 10u);  // the default top_k
    for (size_t k = 0; k < 10; ++k) {
      const auto& p = g["pipeline_top10"][k];
      const auto& t = g["top10"][k];
      EXPECT_EQ(m.top[k].score.id, p["token"].get<int32_t>()) << texts[i] << " rank " << k;
      EXPECT_EQ(m.top[k].score.token, t["token"].get<std::string>());
      EXPECT_EQ(m.top[k].score.text, p["token_str"].get<std::string>());
      EXPECT_NEAR(m.top[k].score.prob, p["score"].get<double>(), 1e-5);
      EXPECT_NEAR(m.top[k].score.logit, t["logit"].get<double>(), logit_tol);
      EXPECT_NEAR(std::exp(m.top[k].score.logprob), m.top[k].score.prob, 1e-12);
      EXPECT_EQ(m.top[k].sequence, p["sequence"].get<std::string>()) << texts[i] << " rank " << k;
    }
  }
}

TEST(FillMask, TargetsOutsideTopKAndSplitWords) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto b = open_bert();
  const auto& g = b.golden["fill_mask"][1];
  const auto logits = g["mask_logits"].get<std::vector<float>>();
  const double lse = golden_logsumexp(logits);
  FillMaskOptions o;
  o.top_k = 3;
  // "capital": one vocabulary entry; "Laos": not an entry as written, tokenized (lowercased) to one
  // token; "tokprobability": several pieces.
  o.targets = {"capital", "Laos", "tokprobability"};
  const auto r = fill_mask(*b.model, b.tokenizer, std::vector<std::string>{g["text"]}, o);
  const auto& m = r[0].masks[0];
  ASSERT_EQ(m.top.size(), 3u);
  ASSERT_EQ(m.targets.size(), 3u);

  const auto& capital = m.targets[0];
  ASSERT_EQ(capital.piece_ids.size(), 1u);
  EXPECT_TRUE(capital.whole_word);
  EXPECT_EQ(capital.pieces[0], "capital");
  const int32_t capital_id = capital.piece_ids[0];
  EXPECT_NEAR(capital.fill.score.logprob, logits[capital_id] - lse, 1e-4);
  EXPECT_EQ(capital.fill.sequence, "paris is the capital of france.");

  const auto& laos = m.targets[1];
  EXPECT_TRUE(laos.whole_word);
  EXPECT_EQ(laos.piece_ids[0], 15786);  // golden top10: laos
  EXPECT_NEAR(laos.fill.score.prob, std::exp(logits[15786] - lse), 1e-5);

  const auto& split = m.targets[2];
  EXPECT_FALSE(split.whole_word);
  ASSERT_GT(split.piece_ids.size(), 1u);
  EXPECT_EQ(split.piece_ids, b.tokenizer.encode("tokprobability", false).ids);
  EXPECT_EQ(split.pieces.size(), split.piece_ids.size());
  EXPECT_EQ(split.fill.score.id, split.piece_ids[0]);  // the first piece is what is scored
  EXPECT_NEAR(split.fill.score.logprob, logits[split.piece_ids[0]] - lse, 1e-4);
}

TEST(FillMask, SeveralMasksEachGetTheirOwnDistribution) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto b = open_bert();
  const std::string text = "The [MASK] sat on the [MASK].";
  FillMaskOptions o;
  o.top_k = 2;
  const auto r = fill_mask(*b.model, b.tokenizer, std::vector<std::string>{text}, o);
  ASSERT_EQ(r[0].masks.size(), 2u);
  const auto ids = r[0].input_ids;
  const int64_t V = b.model->info().vocab_size;
  EncoderSequence seq{ids, {}, {r[0].masks[0].position, r[0].masks[1].position}};
  const auto out = b.model->forward(std::span(&seq, 1));
  for (size_t m = 0; m < 2; ++m) {
    const auto& mask = r[0].masks[m];
    EXPECT_EQ(ids[mask.position], 103);
    Distribution d(std::span<const float>(out.mlm_logits).subspan(m * V, V));
    EXPECT_EQ(mask.top[0].score.id, d.argmax());
    // The other mask stays visible in the sequence; [CLS] and [SEP] do not.
    const auto& seqtext = mask.top[0].sequence;
    EXPECT_NE(seqtext.find("[MASK]"), std::string::npos) << seqtext;
    EXPECT_EQ(seqtext.find("[MASK]"), seqtext.rfind("[MASK]")) << seqtext;
    EXPECT_EQ(seqtext.find("[CLS]"), std::string::npos) << seqtext;
  }
  EXPECT_NE(r[0].masks[0].position, r[0].masks[1].position);
}

TEST(FillMask, BatchEqualsOneAtATime) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto b = open_bert();
  const std::vector<std::string> texts = {"Paris is the [MASK] of France.", "Hello [MASK] world, this is longer."};
  const auto both = fill_mask(*b.model, b.tokenizer, texts, {});
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto alone = fill_mask(*b.model, b.tokenizer, std::span(&texts[i], 1), {});
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(both[i].masks[0].top[k].score.id, alone[0].masks[0].top[k].score.id);
      EXPECT_NEAR(both[i].masks[0].top[k].score.prob, alone[0].masks[0].top[k].score.prob, 1e-6);
    }
  }
}

TEST(FillMask, BadRequests) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  auto b = open_bert();
  const std::vector<std::string> no_mask = {"There is no mask here."};
  try {
    fill_mask(*b.model, b.tokenizer, no_mask, {});
    FAIL() << "text without a mask accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[MASK]"), std::string::npos) << e.what();
  }
  const std::vector<std::string> ok = {"a [MASK] b"};
  FillMaskOptions empty_target;
  empty_target.targets = {""};
  EXPECT_THROW(fill_mask(*b.model, b.tokenizer, ok, empty_target), Error);
  FillMaskOptions zero_k;
  zero_k.top_k = 0;
  EXPECT_THROW(fill_mask(*b.model, b.tokenizer, ok, zero_k), Error);
  std::string long_text = "[MASK]";
  for (int i = 0; i < 200; ++i) long_text += " word";
  EXPECT_THROW(fill_mask(*b.model, b.tokenizer, std::vector<std::string>{long_text}, {}), Error);
}

}  // namespace
}  // namespace tokprob
