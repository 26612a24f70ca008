// Greedy and beam search against the goldens of gpt2-tiny, llama-tiny and tinystories-656k
// (prompts[].greedy.new_ids / step_logprobs, prompts[].beam4.sequences / sequences_scores),
// and properties of sampling.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "generate/generation.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

struct Fixture {
  std::unique_ptr<CausalLM> model;
  nlohmann::json golden;
};

Fixture open_fixture(const char* name) {
  const auto dir = fixtures_dir() / name;
  const Config config = read_model_config(dir);
  return {load_causal_lm(dir, config), load_json(dir / "golden.json")};
}

GenerationConfig base_config(const CausalLM& model) {
  GenerationConfig c;
  if (model.info().eos_token_id) c.eos_token_ids = {*model.info().eos_token_id};
  return c;
}

void check_greedy(const char* name) {
  auto f = open_fixture(name);
  size_t checked = 0;
  for (const auto& p : f.golden["prompts"]) {
    if (!p.contains("greedy")) continue;
    const auto& g = p["greedy"];
    const auto ids = p["input_ids"].get<std::vector<int32_t>>();
    const auto expected = g["new_ids"].get<std::vector<int32_t>>();
    GenerationConfig c = base_config(*f.model);
    c.max_new_tokens = g.contains("params") ? g["params"]["max_new_tokens"].get<int64_t>()
                                            : g["max_new_tokens"].get<int64_t>();
    c.top_logprobs = 3;
    const auto seqs = generate_sequences(*f.model, ids, c);
    ASSERT_EQ(seqs.size(), 1u);
    EXPECT_EQ(seqs[0].new_ids, expected) << name << ": " << p["text"];
    const auto lps = g["step_logprobs"].get<std::vector<double>>();
    ASSERT_EQ(seqs[0].steps.size(), lps.size());
    double sum = 0;
    for (size_t i = 0; i < lps.size(); ++i) {
      EXPECT_NEAR(seqs[0].steps[i].logprob, lps[i], 1e-4) << name << ": " << p["text"] << " step " << i;
      // No processors: what decided equals the raw logprob, and the chosen token tops the alternatives.
      EXPECT_NEAR(seqs[0].steps[i].processed_logprob, seqs[0].steps[i].logprob, 1e-9);
      ASSERT_EQ(seqs[0].steps[i].top.size(), 3u);
      EXPECT_EQ(seqs[0].steps[i].top[0].id, seqs[0].new_ids[i]);
      sum += seqs[0].steps[i].logprob;
    }
    EXPECT_NEAR(seqs[0].score, sum, 1e-9);
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(Generation, Gpt2TinyGreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_greedy("gpt2-tiny");
}

TEST(Generation, LlamaTinyGreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_greedy("llama-tiny");
}

TEST(Generation, TinyStoriesGreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_greedy("tinystories-656k");
}

void check_beam4(const char* name) {
  auto f = open_fixture(name);
  size_t checked = 0;
  for (const auto& p : f.golden["prompts"]) {
    if (!p.contains("beam4")) continue;
    const auto& b = p["beam4"];
    const auto& params = b["params"];
    const auto ids = p["input_ids"].get<std::vector<int32_t>>();
    GenerationConfig c = base_config(*f.model);
    c.num_beams = params["num_beams"].get<int64_t>();
    c.max_new_tokens = params["max_new_tokens"].get<int64_t>();
    c.num_return_sequences = params["num_return_sequences"].get<int64_t>();
    c.length_penalty = params["length_penalty"].get<double>();
    ASSERT_FALSE(params["early_stopping"].get<bool>());
    c.early_stopping = EarlyStopping::heuristic;
    const auto seqs = generate_sequences(*f.model, ids, c);
    const auto& expected = b["sequences"];
    const auto scores = b["sequences_scores"].get<std::vector<double>>();
    ASSERT_EQ(seqs.size(), expected.size());
    for (size_t s = 0; s < seqs.size(); ++s) {
      std::vector<int32_t> full = ids;
      full.insert(full.end(), seqs[s].new_ids.begin(), seqs[s].new_ids.end());
      EXPECT_EQ(full, expected[s].get<std::vector<int32_t>>()) << name << ": " << p["text"] << " beam " << s;
      EXPECT_NEAR(seqs[s].score, scores[s], 1e-4) << name << ": " << p["text"] << " beam " << s;
      // Without processors, the score is the summed raw logprobs over the generated length.
      double sum = 0;
      for (const auto& st : seqs[s].steps) sum += st.logprob;
      EXPECT_NEAR(seqs[s].score, sum / static_cast<double>(seqs[s].steps.size()), 1e-4);
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(Generation, Gpt2TinyBeamSearchMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_beam4("gpt2-tiny");
}

TEST(Generation, LlamaTinyBeamSearchMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_beam4("llama-tiny");
}

TEST(Generation, SamplingIsReproducibleAndHonoursFilters) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = open_fixture("tinystories-656k");
  const auto ids = f.golden["prompts"][0]["input_ids"].get<std::vector<int32_t>>();
  GenerationConfig c = base_config(*f.model);
  c.do_sample = true;
  c.seed = 7;
  c.max_new_tokens = 15;
  c.num_return_sequences = 3;
  c.sampling.top_k = 5;
  c.sampling.temperature = 0.8;
  c.top_logprobs = 10;
  const auto a = generate_sequences(*f.model, ids, c);
  const auto b = generate_sequences(*f.model, ids, c);
  ASSERT_EQ(a.size(), 3u);
  for (size_t s = 0; s < a.size(); ++s) {
    EXPECT_EQ(a[s].new_ids, b[s].new_ids);
    for (const auto& st : a[s].steps) {
      // top-k 5: the chosen token is among the 5 most likely of the raw distribution
      bool in_top5 = false;
      for (size_t r = 0; r < 5; ++r) in_top5 = in_top5 || st.top[r].id == st.id;
      EXPECT_TRUE(in_top5);
      // processed = log-softmax over the top 5 raw logits divided by the temperature
      double mx = st.top[0].logit / 0.8, sum = 0, chosen = 0;
      for (size_t r = 0; r < 5; ++r) {
        sum += std::exp(st.top[r].logit / 0.8 - mx);
        if (st.top[r].id == st.id) chosen = st.top[r].logit / 0.8;
      }
      EXPECT_NEAR(st.processed_logprob, chosen - mx - std::log(sum), 1e-4);
    }
  }
  c.seed = 8;
  const auto d = generate_sequences(*f.model, ids, c);
  bool differs = false;
  for (size_t s = 0; s < a.size(); ++s) differs = differs || a[s].new_ids != d[s].new_ids;
  EXPECT_TRUE(differs);
}

TEST(Generation, EosStopsAndObserverStops) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto f = open_fixture("llama-tiny");
  const auto& p = f.golden["prompts"][0];
  const auto ids = p["input_ids"].get<std::vector<int32_t>>();
  const auto expected = p["greedy"]["new_ids"].get<std::vector<int32_t>>();
  // Declaring the 4th greedy token an EOS ends the sequence there, EOS included.
  GenerationConfig c;
  c.eos_token_ids = {expected[3]};
  auto seqs = generate_sequences(*f.model, ids, c);
  EXPECT_EQ(seqs[0].new_ids, std::vector<int32_t>(expected.begin(), expected.begin() + 4));
  EXPECT_EQ(seqs[0].finish, FinishReason::eos);
  c.eos_token_ids = {};
  seqs = generate_sequences(*f.model, ids, c, [](size_t, const GeneratedSequence& s) { return s.new_ids.size() == 2; });
  EXPECT_EQ(seqs[0].new_ids.size(), 2u);
  EXPECT_EQ(seqs[0].finish, FinishReason::stop);
  // max positions: the sequence stops at the model's context.
  c.max_new_tokens = 500;
  seqs = generate_sequences(*f.model, ids, c);
  // the last token comes from the logits at the last position, so one more than the context
  EXPECT_EQ(static_cast<int64_t>(ids.size() + seqs[0].new_ids.size()), f.model->info().max_positions + 1);
  EXPECT_EQ(seqs[0].finish, FinishReason::length);
}

TEST(Generation, BeamSearchWithEosKeepsFinishedHypotheses) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_fixture("gpt2-tiny");
  const auto& p = f.golden["prompts"][0];
  const auto ids = p["input_ids"].get<std::vector<int32_t>>();
  const auto best = p["beam4"]["sequences"][0].get<std::vector<int32_t>>();
  // The best beam's 3rd new token as EOS: hypotheses finish early, each ending in that token.
  GenerationConfig c;
  c.num_beams = 4;
  c.num_return_sequences = 4;
  c.max_new_tokens = 10;
  c.eos_token_ids = {best[ids.size() + 2]};
  for (auto es : {EarlyStopping::heuristic, EarlyStopping::enough, EarlyStopping::never}) {
    c.early_stopping = es;
    const auto seqs = generate_sequences(*f.model, ids, c);
    ASSERT_EQ(seqs.size(), 4u);
    for (size_t s = 0; s + 1 < seqs.size(); ++s) EXPECT_GE(seqs[s].score, seqs[s + 1].score);
    for (const auto& s : seqs) {
      double sum = 0;
      for (const auto& st : s.steps) sum += st.processed_logprob;
      EXPECT_NEAR(s.score, sum / static_cast<double>(s.new_ids.size()), 1e-4);
      if (s.finish == FinishReason::eos) {
        EXPECT_EQ(s.new_ids.back(), c.eos_token_ids[0]);
      }
      for (size_t i = 0; i + 1 < s.new_ids.size(); ++i) EXPECT_NE(s.new_ids[i], c.eos_token_ids[0]);
    }
  }
}

TEST(Generation, RejectsInconsistentSettings) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto f = open_fixture("llama-tiny");
  const std::vector<int32_t> ids = {1, 2, 3};
  GenerationConfig c;
  c.num_return_sequences = 2;  // greedy gives one
  EXPECT_THROW(generate_sequences(*f.model, ids, c), Error);
  c.num_beams = 2;
  c.num_return_sequences = 3;
  EXPECT_THROW(generate_sequences(*f.model, ids, c), Error);
  c = GenerationConfig{};
  c.do_sample = true;
  c.sampling.temperature = 0;
  EXPECT_THROW(generate_sequences(*f.model, ids, c), Error);
  EXPECT_THROW(generate_sequences(*f.model, std::vector<int32_t>{}, GenerationConfig{}), Error);
}

// The token constraints apply to a causal LM too, with lengths counting the prompt. Expected new
// tokens from transformers 5.25 on gpt2-tiny, prompt [1212, 5041, 314, 1410, 284]:
//   generate(ids, do_sample=False, eos_token_id=50256, pad_token_id=0, **settings)
TEST(Generation, TokenConstraintsMatchTransformersOnACausalLM) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_fixture("gpt2-tiny");
  const std::vector<int32_t> prompt = {1212, 5041, 314, 1410, 284};
  GenerationConfig greedy = base_config(*f.model);
  greedy.max_new_tokens = 12;
  greedy.constraints.no_repeat_ngram_size = 1;
  EXPECT_EQ(generate_sequences(*f.model, prompt, greedy).at(0).new_ids,
            (std::vector<int32_t>{50034, 27778, 12022, 13450, 20108, 19753, 42442, 20408, 15001, 11734, 33119, 45329}));

  GenerationConfig beams = base_config(*f.model);
  beams.num_beams = 3;
  beams.max_new_tokens = 10;
  beams.constraints.no_repeat_ngram_size = 2;
  beams.constraints.bad_words_ids = {{284}};
  beams.constraints.eos_token_ids = beams.eos_token_ids;
  beams.constraints.forced_eos_token_ids = {0};
  beams.constraints.max_length = static_cast<int64_t>(prompt.size()) + beams.max_new_tokens;
  EXPECT_EQ(generate_sequences(*f.model, prompt, beams).at(0).new_ids,
            (std::vector<int32_t>{45329, 15540, 20907, 38606, 45418, 45418, 4449, 21803, 34840, 0}));
}

}  // namespace
}  // namespace tokprob
