// The seq2seq task on t5-tiny, from text, against ../shared/fixtures/t5-tiny/golden.json
// (seq2seq[].text, input_ids, first_step_top10, greedy_output_ids, greedy_text, greedy_step_logprobs).
#include "tasks/seq2seq.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fixtures.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"
#include "tasks/t5_golden_tolerance.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::first_step_prob_tolerance;
using testing::load_json;

struct Setup {
  std::unique_ptr<Seq2SeqLM> model;
  Tokenizer tokenizer;
  nlohmann::json golden;
};

Setup open_t5() {
  const auto dir = fixtures_dir() / "t5-tiny";
  return {load_seq2seq_lm(dir, read_model_config(dir)), Tokenizer::from_folder(dir), load_json(dir / "golden.json")};
}

std::vector<int32_t> greedy_ids_after_start(const nlohmann::json& s) {
  auto ids = s["greedy_output_ids"].get<std::vector<int32_t>>();
  return {ids.begin() + 1, ids.end()};
}

// Logprobs live on the logits scale: the logits tolerance of fixtures/README.md, 1e-4 relative to
// the row's largest |logit| when that is > 1 (here the step's top logit bounds it from below).
double logprob_tolerance(const Seq2SeqStep& step) {
  return 1e-4 * std::max(1.0, static_cast<double>(std::abs(step.top.front().logit)));
}

TEST(Seq2SeqTask, GreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  std::vector<std::string> texts;
  for (const auto& s : f.golden["seq2seq"]) texts.push_back(s["text"]);
  const auto results = seq2seq_step_distributions(*f.model, f.tokenizer, texts, Seq2SeqOptions{});
  ASSERT_EQ(results.size(), texts.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& g = f.golden["seq2seq"][i];
    const auto& r = results[i];
    EXPECT_EQ(r.input_ids, g["input_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(r.output_ids, greedy_ids_after_start(g)) << r.text;
    EXPECT_EQ(r.output_text, g["greedy_text"].get<std::string>());
    EXPECT_FALSE(r.target.has_value());
    const auto step_logprobs = g["greedy_step_logprobs"].get<std::vector<double>>();
    ASSERT_EQ(r.steps.size(), step_logprobs.size());
    double total = 0;
    for (size_t k = 0; k < r.steps.size(); ++k) {
      const auto& st = r.steps[k];
      EXPECT_EQ(st.step, static_cast<int64_t>(k));
      EXPECT_EQ(st.token.id, r.output_ids[k]);
      EXPECT_EQ(st.rank, 1);
      EXPECT_EQ(st.top.size(), 10u);
      EXPECT_EQ(st.top.front().id, st.token.id);
      EXPECT_NEAR(st.token.prob, std::exp(st.token.logprob), 1e-12);
      EXPECT_NEAR(st.token.logprob, step_logprobs[k], logprob_tolerance(st)) << r.text << " step " << k;
      total += st.token.logprob;
    }
    EXPECT_NEAR(r.logprob, total, 1e-9);
    // The first step's distribution: top10 ids, vocabulary strings, texts and probabilities.
    const auto& top10 = g["first_step_top10"];
    for (size_t k = 0; k < 10; ++k) {
      const auto& t = r.steps[0].top[k];
      EXPECT_EQ(t.id, top10[k]["id"].get<int32_t>()) << r.text << " rank " << k;
      EXPECT_EQ(t.token, top10[k]["token"].get<std::string>());
      // `decoded` is decode([id]), which drops the word-start space that token_text keeps.
      const std::string shown = !t.text.empty() && t.text[0] == ' ' ? t.text.substr(1) : t.text;
      EXPECT_EQ(shown, top10[k]["decoded"].get<std::string>());
      EXPECT_NEAR(t.prob, top10[k]["prob"].get<double>(), first_step_prob_tolerance(g));
    }
  }
}

TEST(Seq2SeqTask, ForcedGreedyOutputReproducesGreedyLogprobs) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const int32_t eos = *f.model->info().eos_token_id;
  int checked = 0;
  for (const auto& g : f.golden["seq2seq"]) {
    const std::string greedy_text = g["greedy_text"];
    const auto greedy = greedy_ids_after_start(g);
    // Only where the decoded greedy text tokenizes back to the greedy ids is it the same target.
    auto expected = greedy;
    expected.push_back(eos);
    if (f.tokenizer.encode(greedy_text).ids != expected) continue;
    ++checked;
    Seq2SeqOptions opt;
    opt.target = greedy_text;
    const std::vector<std::string> texts = {g["text"]};
    const auto r = seq2seq_step_distributions(*f.model, f.tokenizer, texts, opt).at(0);
    EXPECT_EQ(r.target, greedy_text);
    EXPECT_EQ(r.output_ids, expected);
    EXPECT_TRUE(r.finished);
    const auto step_logprobs = g["greedy_step_logprobs"].get<std::vector<double>>();
    ASSERT_EQ(r.steps.size(), greedy.size() + 1);
    double total = 0;
    for (size_t k = 0; k < r.steps.size(); ++k) {
      const auto& st = r.steps[k];
      EXPECT_EQ(st.token.id, expected[k]);
      total += st.token.logprob;
      if (k < greedy.size()) {
        EXPECT_EQ(st.rank, 1) << "step " << k;  // the greedy token was the most likely one
        EXPECT_NEAR(st.token.logprob, step_logprobs[k], logprob_tolerance(st)) << "step " << k;
      } else {
        EXPECT_GE(st.rank, 1);
        EXPECT_EQ(st.rank == 1, st.top.front().id == eos);
      }
    }
    EXPECT_NEAR(r.logprob, total, 1e-9);
  }
  EXPECT_GE(checked, 1) << "no golden greedy text tokenizes back to its ids";
}

// The model with the reference's forced-token generation defaults set (BART's forced_eos_token_id,
// mBART-50's forced_bos_token_id), to see the greedy loop apply them.
class WithForcedTokens final : public Seq2SeqLM {
 public:
  WithForcedTokens(const Seq2SeqLM& model, std::optional<int32_t> bos, std::optional<int32_t> eos)
      : model_(model), info_(model.info()) {
    info_.forced_bos_token_id = bos;
    info_.forced_eos_token_id = eos;
  }
  const Seq2SeqInfo& info() const override { return info_; }
  std::vector<std::unique_ptr<Seq2SeqState>> encode(std::span<const std::vector<int32_t>> sources) const override {
    return model_.encode(sources);
  }
  std::vector<float> decode(std::span<DecodeChunk> chunks) const override { return model_.decode(chunks); }

 private:
  const Seq2SeqLM& model_;
  Seq2SeqInfo info_;
};

// Greedy ids of `model` after `prefix` (which follows the start token), `steps` of them.
std::vector<int32_t> greedy_after(const Seq2SeqLM& model, const std::vector<int32_t>& source,
                                  std::vector<int32_t> prefix, size_t steps) {
  auto state = std::move(model.encode(std::span(&source, 1)).at(0));
  std::vector<int32_t> ids = {model.info().decoder_start_token_id};
  ids.insert(ids.end(), prefix.begin(), prefix.end());
  std::vector<int32_t> out;
  std::span<const int32_t> next(ids);
  int32_t last = 0;
  for (size_t k = 0; k < steps; ++k) {
    DecodeChunk ch{state.get(), next, {static_cast<int64_t>(next.size()) - 1}};
    const auto logits = model.decode(std::span(&ch, 1));
    last = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(last);
    next = std::span<const int32_t>(&last, 1);
  }
  return out;
}

TEST(Seq2SeqTask, ForcedBosIsTheFirstTokenAndForcedEosTheLastTheLimitAllows) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const auto& g = f.golden["seq2seq"][0];
  const std::vector<std::string> texts = {g["text"]};
  const auto source = g["input_ids"].get<std::vector<int32_t>>();
  const auto greedy = greedy_ids_after_start(g);
  ASSERT_GE(greedy.size(), 3u);
  const int32_t eos = *f.model->info().eos_token_id;
  // A first token the model would not pick, so forcing it shows.
  const int32_t bos = greedy[0] == 7 ? 8 : 7;
  Seq2SeqOptions opt;
  opt.max_new_tokens = 3;

  const WithForcedTokens forced_bos(*f.model, bos, std::nullopt);
  const auto rb = seq2seq_step_distributions(forced_bos, f.tokenizer, texts, opt).at(0);
  std::vector<int32_t> want = {bos};
  for (int32_t id : greedy_after(*f.model, source, {bos}, 2)) want.push_back(id);
  EXPECT_EQ(rb.output_ids, want);
  EXPECT_GT(rb.steps[0].rank, 1);  // scored under the model's own distribution, where it is not first

  const WithForcedTokens forced_eos(*f.model, std::nullopt, eos);
  const auto re = seq2seq_step_distributions(forced_eos, f.tokenizer, texts, opt).at(0);
  EXPECT_EQ(re.output_ids, (std::vector<int32_t>{greedy[0], greedy[1], eos}));
  EXPECT_TRUE(re.finished);

  // Both on the only step: the end token wins, as the reference applies its processor last.
  const WithForcedTokens both(*f.model, bos, eos);
  opt.max_new_tokens = 1;
  EXPECT_EQ(seq2seq_step_distributions(both, f.tokenizer, texts, opt).at(0).output_ids, std::vector<int32_t>{eos});
}

TEST(Seq2SeqTask, BatchEqualsOneAtATime) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const std::vector<std::string> texts = {"summarize: studies have shown that owning a dog is good for you",
                                          "translate English to German: Thank you.", "cola sentence: The course is jumping well."};
  for (bool forced : {false, true}) {
    Seq2SeqOptions opt;
    opt.max_new_tokens = 8;
    if (forced) opt.target = "Das ist gut.";
    const auto batched = seq2seq_step_distributions(*f.model, f.tokenizer, texts, opt);
    ASSERT_EQ(batched.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto single = seq2seq_step_distributions(*f.model, f.tokenizer, std::span(&texts[i], 1), opt).at(0);
      EXPECT_EQ(batched[i].output_ids, single.output_ids) << texts[i];
      ASSERT_EQ(batched[i].steps.size(), single.steps.size());
      for (size_t k = 0; k < single.steps.size(); ++k) {
        EXPECT_NEAR(batched[i].steps[k].token.logprob, single.steps[k].token.logprob,
                    logprob_tolerance(single.steps[k]));
        // Ranks deep in the tail (tens of thousands) move with float rounding among near-equal
        // logits; the head of the distribution does not.
        EXPECT_EQ(batched[i].steps[k].top.front().id, single.steps[k].top.front().id);
      }
    }
  }
}

TEST(Seq2SeqTask, MaxNewTokensAndTopK) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const std::vector<std::string> texts = {f.golden["seq2seq"][0]["text"]};
  Seq2SeqOptions opt;
  opt.max_new_tokens = 3;
  opt.top_k = 4;
  const auto r = seq2seq_step_distributions(*f.model, f.tokenizer, texts, opt).at(0);
  EXPECT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.output_ids.size(), 3u);
  EXPECT_FALSE(r.finished);
  for (const auto& st : r.steps) EXPECT_EQ(st.top.size(), 4u);
}

// Expected sequences (after the start token) and sequences_scores from transformers 5.25:
//   m = T5ForConditionalGeneration.from_pretrained("t5-tiny"); enc = tokenizer(text, return_tensors="pt")
//   m.generate(**enc, do_sample=False, return_dict_in_generate=True, output_scores=True, **settings)
TEST(Seq2SeqTask, BeamSearchMatchesTransformers) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const std::vector<std::string> texts = {"translate English to German: The house is wonderful."};
  struct Case {
    Seq2SeqOptions options;
    std::vector<int32_t> ids;
    double score;
  };
  std::vector<Case> cases(3);
  cases[0].options.num_beams = 3;
  cases[0].options.max_new_tokens = 8;
  cases[0].ids = {15994, 19602, 21525, 5454, 6509, 2382, 2382, 2382};
  cases[0].score = -1.3336423635482788;
  cases[1].options.num_beams = 3;
  cases[1].options.no_repeat_ngram_size = 2;
  cases[1].options.max_new_tokens = 12;
  cases[1].options.length_penalty = 2.0;
  cases[1].options.early_stopping = EarlyStopping::enough;
  cases[1].ids = {15994, 19602, 21525, 5454, 6509, 14360, 364, 19601, 14087, 28933, 28933, 3826};
  cases[1].score = -0.10975262522697449;
  cases[2].options.num_beams = 4;
  cases[2].options.min_new_tokens = 6;
  cases[2].options.max_new_tokens = 10;
  cases[2].options.repetition_penalty = 1.3;
  cases[2].options.early_stopping = EarlyStopping::never;
  cases[2].ids = {15195, 19388, 423, 12282, 26757, 26757, 26757, 26757, 26757, 26757};
  cases[2].score = -0.9660094380378723;
  for (const auto& c : cases) {
    const auto r = seq2seq_step_distributions(*f.model, f.tokenizer, texts, c.options).at(0);
    EXPECT_EQ(r.output_ids, c.ids);
    ASSERT_TRUE(r.beam_score.has_value());
    EXPECT_NEAR(*r.beam_score, c.score, 1e-4 * std::max(1.0, std::abs(c.score)));
    // Each step is the chosen token under its raw distribution, with its rank there.
    ASSERT_EQ(r.steps.size(), c.ids.size());
    for (const auto& st : r.steps) {
      EXPECT_EQ(st.top.size(), 10u);
      EXPECT_NEAR(st.token.prob, std::exp(st.token.logprob), 1e-12);
      if (st.rank == 1) {
        EXPECT_EQ(st.top.front().id, st.token.id);
      }
    }
  }
}

TEST(Seq2SeqTask, GenerationDefaultsApplyAndOptionsOverrideThem) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const std::vector<std::string> texts = {"translate English to German: The house is wonderful."};
  GenerationDefaults d;
  d.file = "generation_config.json";
  d.from_generation_config = true;
  d.num_beams = 3;
  d.max_length = 9;  // 8 new tokens after the start token
  d.decoder_start_token_id = 0;
  d.eos_token_ids = std::vector<int32_t>{1};
  // The first case of BeamSearchMatchesTransformers, from the file.
  EXPECT_EQ(seq2seq_step_distributions(*f.model, f.tokenizer, texts, {}, d).at(0).output_ids,
            (std::vector<int32_t>{15994, 19602, 21525, 5454, 6509, 2382, 2382, 2382}));
  // num_beams 1 overrides it: the golden greedy output, cut at 8 tokens.
  Seq2SeqOptions greedy;
  greedy.num_beams = 1;
  const auto r = seq2seq_step_distributions(*f.model, f.tokenizer, texts, greedy, d).at(0);
  EXPECT_FALSE(r.beam_score.has_value());
  const auto plain = seq2seq_step_distributions(*f.model, f.tokenizer, texts, Seq2SeqOptions{}).at(0);
  EXPECT_EQ(r.output_ids, std::vector<int32_t>(plain.output_ids.begin(),
                                               plain.output_ids.begin() + std::min<size_t>(8, plain.output_ids.size())));
  d.unsupported = {"do_sample true"};
  EXPECT_THROW(seq2seq_step_distributions(*f.model, f.tokenizer, texts, {}, d), Error);
  // Scoring a target does not generate: the file's generation settings play no part.
  Seq2SeqOptions target;
  target.target = "Das Haus";
  EXPECT_NO_THROW(seq2seq_step_distributions(*f.model, f.tokenizer, texts, target, d));
}

TEST(Seq2SeqTask, RejectsBadRequests) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto f = open_t5();
  const std::vector<std::string> ok = {"translate English to German: Hello."};
  const std::vector<std::string> empty = {""};
  EXPECT_THROW(seq2seq_step_distributions(*f.model, f.tokenizer, empty, {}), Error);
  Seq2SeqOptions bad_k;
  bad_k.top_k = 0;
  EXPECT_THROW(seq2seq_step_distributions(*f.model, f.tokenizer, ok, bad_k), Error);
  Seq2SeqOptions bad_len;
  bad_len.max_new_tokens = 0;
  EXPECT_THROW(seq2seq_step_distributions(*f.model, f.tokenizer, ok, bad_len), Error);
  try {
    seq2seq_step_distributions(*f.model, f.tokenizer, empty, {});
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_TRUE(seq2seq_step_distributions(*f.model, f.tokenizer, std::span<const std::string>(), {}).empty());
}

}  // namespace
}  // namespace tokprob
