// The score task against per_position[].next_token_logprob of gpt2-tiny and llama-tiny, and its
// sliding window against direct forward passes.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "generate/distribution.hpp"
#include "models/registry.hpp"
#include "tasks/score.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;
using testing::load_json;

void check_next_token_logprobs(const char* name) {
  const auto dir = fixtures_dir() / name;
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const auto golden = load_json(dir / "golden.json");
  std::vector<std::string> texts;
  for (const auto& p : golden["prompts"]) texts.push_back(p["text"].get<std::string>());
  const auto results = score_texts(*model, tok, texts, {});
  ASSERT_EQ(results.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& p = golden["prompts"][i];
    const auto& r = results[i];
    const auto ids = p["input_ids"].get<std::vector<int32_t>>();
    ASSERT_EQ(r.tokens.size(), ids.size()) << texts[i];
    EXPECT_FALSE(r.tokens[0].logprob.has_value());
    double total = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
      EXPECT_EQ(r.tokens[t].id, ids[t]);
      if (t == 0) continue;
      const auto& g = p["per_position"][t - 1]["next_token_logprob"];
      ASSERT_TRUE(r.tokens[t].logprob.has_value());
      EXPECT_NEAR(*r.tokens[t].logprob, g.get<double>(), 1e-4) << name << ": " << texts[i] << " token " << t;
      total += g.get<double>();
    }
    EXPECT_EQ(r.scored_tokens, static_cast<int64_t>(ids.size()) - 1);
    if (ids.size() > 1) {
      EXPECT_NEAR(r.total_logprob, total, 1e-3);
      EXPECT_NEAR(r.perplexity, std::exp(-r.total_logprob / double(ids.size() - 1)), 1e-9 * r.perplexity);
    } else {
      EXPECT_TRUE(std::isnan(r.perplexity));
    }
  }
}

TEST(ScoreTask, Gpt2TinyMatchesPerPositionGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_next_token_logprobs("gpt2-tiny");
}

TEST(ScoreTask, LlamaTinyMatchesPerPositionGolden) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_next_token_logprobs("llama-tiny");
}

TEST(ScoreTask, SlidingWindowScoresEachTokenOnceWithItsWindowContext) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const auto golden = load_json(dir / "golden.json");
  const auto& long_prompt = golden["prompts"].back();
  const std::string text = long_prompt["text"];
  const auto ids = long_prompt["input_ids"].get<std::vector<int32_t>>();
  ASSERT_GT(ids.size(), 40u);
  const int64_t V = model->info().vocab_size;
  for (auto [window, stride] : {std::pair<int64_t, int64_t>{32, 16}, {20, 7}, {16, 16}}) {
    ScoreOptions o;
    o.window = window;
    o.stride = stride;
    const auto r = score_texts(*model, tok, std::vector<std::string>{text}, o)[0];
    ASSERT_EQ(r.tokens.size(), ids.size());
    int64_t scored = 0;
    for (int64_t t = 1; t < static_cast<int64_t>(ids.size()); ++t) {
      // The first window (starts k*stride) reaching past t scores t, unless t is its first token.
      int64_t begin = 0;
      while (begin + window <= t) begin += stride;
      if (t == begin) {
        EXPECT_FALSE(r.tokens[t].logprob.has_value()) << "token " << t;
        continue;
      }
      ASSERT_TRUE(r.tokens[t].logprob.has_value()) << "window " << window << " token " << t;
      auto state = model->new_state();
      DecodeChunk ch{state.get(), std::span(ids).subspan(begin, t - begin), {t - begin - 1}};
      const auto logits = model->forward(std::span(&ch, 1));
      EXPECT_NEAR(*r.tokens[t].logprob, Distribution(std::span<const float>(logits.data(), V)).logprob(ids[t]), 1e-5);
      ++scored;
    }
    EXPECT_EQ(r.scored_tokens, scored);
  }
  // A window covering the text gives the plain result.
  ScoreOptions whole;
  whole.window = 128;
  const auto r = score_texts(*model, tok, std::vector<std::string>{text}, whole)[0];
  EXPECT_NEAR(*r.tokens[1].logprob, long_prompt["per_position"][0]["next_token_logprob"].get<double>(), 1e-4);
}

TEST(ScoreTask, RejectsBadOptionsAndEmptyText) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const std::vector<std::string> text = {"Hello world"};
  ScoreOptions o;
  o.window = 16;
  o.stride = 17;
  EXPECT_THROW(score_texts(*model, tok, text, o), Error);
  o.window = 1000;
  o.stride = 0;
  EXPECT_THROW(score_texts(*model, tok, text, o), Error);
  EXPECT_THROW(score_texts(*model, tok, std::vector<std::string>{""}, ScoreOptions{}), Error);
}

// Windows run all their tokens: with stride 1 a text of n tokens costs about n x window positions.
// The limit counts them before anything runs.
TEST(ScoreTask, PositionLimitCountsOverlappingWindows) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  std::string text;
  for (int i = 0; i < 40; ++i) text += " a";
  const auto n = static_cast<int64_t>(tok.encode(text).ids.size());
  ASSERT_GE(n, 40);
  ScoreOptions o;
  o.window = 8;
  o.stride = 1;
  // Windows start at 0, 1, ... up to the one that reaches the end: n - 7 windows of 8 tokens.
  o.max_positions_run = (n - 7) * 8;
  EXPECT_EQ(score_texts(*model, tok, std::vector<std::string>{text}, o)[0].scored_tokens, n - 1);
  o.max_positions_run -= 1;
  try {
    score_texts(*model, tok, std::vector<std::string>{text}, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string((n - 7) * 8) + " token positions"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("limit of " + std::to_string(o.max_positions_run)), std::string::npos) << e.what();
  }
  // Two texts count together.
  o.max_positions_run = 2 * (n - 7) * 8 - 1;
  EXPECT_THROW(score_texts(*model, tok, std::vector<std::string>{text, text}, o), Error);
}

// golden: per_position[i] gives the argmax at each position and its logprob (max_logit -
// logsumexp): the first alternative of the token after position i.
TEST(ScoreTask, TopKAlternativesPerPositionMostLikelyFirst) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const auto golden = load_json(dir / "golden.json");
  std::vector<std::string> texts;
  for (const auto& p : golden["prompts"]) texts.push_back(p["text"].get<std::string>());
  ScoreOptions o;
  o.top_k = 5;
  const auto results = score_texts(*model, tok, texts, o);
  const auto plain = score_texts(*model, tok, texts, {});
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& per = golden["prompts"][i]["per_position"];
    const auto& tokens = results[i].tokens;
    EXPECT_TRUE(tokens[0].alternatives.empty());
    for (size_t t = 1; t < tokens.size(); ++t) {
      const auto& alts = tokens[t].alternatives;
      ASSERT_EQ(alts.size(), 5u) << texts[i] << " token " << t;
      EXPECT_EQ(alts[0].id, per[t - 1]["argmax"].get<int32_t>()) << texts[i] << " token " << t;
      EXPECT_NEAR(alts[0].logprob,
                  per[t - 1]["max_logit"].get<double>() - per[t - 1]["logsumexp"].get<double>(), 1e-4);
      for (size_t k = 1; k < alts.size(); ++k) EXPECT_GE(alts[k - 1].logprob, alts[k].logprob);
      // The scored token is among them or less likely than all of them.
      bool listed = false;
      for (const auto& a : alts) listed = listed || a.id == tokens[t].id;
      if (!listed) {
        EXPECT_LE(*tokens[t].logprob, alts.back().logprob);
      }
      EXPECT_EQ(tokens[t].logprob, plain[i].tokens[t].logprob);  // alternatives change no number
    }
  }
  o.top_k = -1;
  try {
    score_texts(*model, tok, texts, o);
    ADD_FAILURE() << "top_k -1 accepted";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.field(), "top_k");
  }
}

// GPT-2 adds no BOS, so its first token is scored only when conditioned on <|endoftext|> (the
// tokenizer's BOS), as rolling log-likelihood in evaluation harnesses does; the rest is unchanged.
TEST(ScoreTask, ScoreFirstTokenConditionsItOnTheBosToken) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const std::vector<std::string> texts = {"Hi", "Hello world, how are you"};
  ScoreOptions o;
  o.score_first_token = true;
  const auto plain = score_texts(*model, tok, texts, {});
  const auto first = score_texts(*model, tok, texts, o);
  const int32_t endoftext = *tok.token_to_id("<|endoftext|>");
  const int64_t V = model->info().vocab_size;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tok.encode(texts[i]).ids;
    ASSERT_EQ(first[i].tokens.size(), ids.size() + 1);
    EXPECT_EQ(first[i].tokens[0].id, endoftext);
    EXPECT_FALSE(first[i].tokens[0].logprob.has_value());
    EXPECT_EQ(first[i].scored_tokens, static_cast<int64_t>(ids.size()));
    // Every token, the first included, is conditioned on <|endoftext|> and the tokens before it.
    std::vector<int32_t> with_start = {endoftext};
    with_start.insert(with_start.end(), ids.begin(), ids.end());
    auto state = model->new_state();
    DecodeChunk ch{state.get(), std::span(with_start).first(ids.size()), {}};
    for (size_t t = 0; t < ids.size(); ++t) ch.logits_for.push_back(static_cast<int64_t>(t));
    const auto logits = model->forward(std::span(&ch, 1));
    for (size_t t = 0; t < ids.size(); ++t) {
      ASSERT_TRUE(first[i].tokens[t + 1].logprob.has_value());
      EXPECT_NEAR(*first[i].tokens[t + 1].logprob,
                  Distribution(std::span<const float>(logits).subspan(t * V, V)).logprob(ids[t]), 1e-5)
          << texts[i] << " token " << t;
    }
  }
  EXPECT_EQ(plain[0].scored_tokens, 0);
  EXPECT_EQ(first[0].scored_tokens, 1);
}

// Llama's tokenizer already starts with BOS: nothing is added twice.
TEST(ScoreTask, ScoreFirstTokenAddsNoSecondBos) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto dir = fixtures_dir() / "llama-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  const std::vector<std::string> texts = {"Hello world"};
  ScoreOptions o;
  o.score_first_token = true;
  const auto plain = score_texts(*model, tok, texts, {})[0];
  const auto first = score_texts(*model, tok, texts, o)[0];
  ASSERT_EQ(first.tokens.size(), plain.tokens.size());
  EXPECT_EQ(first.tokens[0].id, *tok.special_tokens().bos);
  EXPECT_EQ(first.scored_tokens, plain.scored_tokens);
  EXPECT_EQ(first.total_logprob, plain.total_logprob);
}

TEST(ScoreTask, ScoreFirstTokenNeedsABosOrEosToken) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto bert = Tokenizer::from_folder(fixtures_dir() / "bert-tiny-mlm");
  ASSERT_FALSE(bert.special_tokens().bos || bert.special_tokens().eos);
  ScoreOptions o;
  o.score_first_token = true;
  EXPECT_THROW(score_texts(*model, bert, std::vector<std::string>{"hello"}, o), Error);
}

}  // namespace
}  // namespace tokprob
