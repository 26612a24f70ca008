// Each logits processor on hand-made rows with hand-computed expectations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "generate/logits_processors.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> log_probs(std::initializer_list<double> p) {
  std::vector<float> out;
  for (double v : p) out.push_back(static_cast<float>(std::log(v)));
  return out;
}

std::vector<bool> kept(const std::vector<float>& s) {
  std::vector<bool> out;
  for (float v : s) out.push_back(v != -kInf);
  return out;
}

TEST(LogitsProcessors, RepetitionPenaltyDividesPositiveMultipliesNegativeOncePerToken) {
  std::vector<float> s = {2.0f, -1.0f, 0.5f, 3.0f};
  const std::vector<int32_t> seen = {0, 1, 1, 0};  // repeated ids are penalised once
  apply_repetition_penalty(s, seen, 2.0);
  EXPECT_EQ(s, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f}));
  // A penalty below 1 favours the seen tokens instead.
  std::vector<float> t = {2.0f, -1.0f};
  apply_repetition_penalty(t, seen, 0.5);
  EXPECT_EQ(t, (std::vector<float>{4.0f, -0.5f}));
  std::vector<float> u = {2.0f, -1.0f};
  apply_repetition_penalty(u, seen, 1.0);
  EXPECT_EQ(u, (std::vector<float>{2.0f, -1.0f}));
}

TEST(LogitsProcessors, TemperatureDivides) {
  std::vector<float> s = {1.0f, -2.0f, 0.0f};
  apply_temperature(s, 0.5);
  EXPECT_EQ(s, (std::vector<float>{2.0f, -4.0f, 0.0f}));
}

TEST(LogitsProcessors, TopKKeepsTiesWithTheKthScore) {
  std::vector<float> s = {1.0f, 3.0f, 2.0f, 2.0f, 0.0f};
  apply_top_k(s, 2);
  EXPECT_EQ(kept(s), (std::vector<bool>{false, true, true, true, false}));
  EXPECT_EQ(s[1], 3.0f);  // kept scores unchanged
  std::vector<float> t = {1.0f, 3.0f, 2.0f};
  apply_top_k(t, 1);
  EXPECT_EQ(kept(t), (std::vector<bool>{false, true, false}));
  std::vector<float> all = {1.0f, 3.0f};
  apply_top_k(all, 5);  // k beyond the vocabulary keeps everything
  EXPECT_EQ(kept(all), (std::vector<bool>{true, true}));
  std::vector<float> keep2 = {1.0f, 3.0f, 2.0f};
  apply_top_k(keep2, 1, /*min_keep=*/2);
  EXPECT_EQ(kept(keep2), (std::vector<bool>{false, true, true}));
}

TEST(LogitsProcessors, TopPKeepsSmallestSetReachingTopP) {
  // probabilities 0.5, 0.3, 0.15, 0.05 (ids 0..3 in a shuffled order)
  auto row = [] { return log_probs({0.15, 0.5, 0.05, 0.3}); };
  auto s = row();
  apply_top_p(s, 0.75);  // 0.5 + 0.3 = 0.8 >= 0.75
  EXPECT_EQ(kept(s), (std::vector<bool>{false, true, false, true}));
  s = row();
  apply_top_p(s, 0.85);  // 0.8 < 0.85: the 0.15 token joins
  EXPECT_EQ(kept(s), (std::vector<bool>{true, true, false, true}));
  s = row();
  apply_top_p(s, 0.4);  // the top token alone reaches 0.4
  EXPECT_EQ(kept(s), (std::vector<bool>{false, true, false, false}));
  s = row();
  apply_top_p(s, 0.001);  // at least one token always stays
  EXPECT_EQ(kept(s), (std::vector<bool>{false, true, false, false}));
  s = row();
  apply_top_p(s, 0.001, /*min_keep=*/2);
  EXPECT_EQ(kept(s), (std::vector<bool>{false, true, false, true}));
  s = row();
  apply_top_p(s, 1.0);
  EXPECT_EQ(kept(s), (std::vector<bool>{true, true, true, true}));
  EXPECT_FLOAT_EQ(s[1], std::log(0.5f));
}

TEST(LogitsProcessors, MinPKeepsTokensAboveFractionOfTop) {
  // probabilities 0.5, 0.3, 0.15, 0.05
  auto s = log_probs({0.5, 0.3, 0.15, 0.05});
  apply_min_p(s, 0.5);  // cut 0.25
  EXPECT_EQ(kept(s), (std::vector<bool>{true, true, false, false}));
  s = log_probs({0.5, 0.3, 0.15, 0.05});
  apply_min_p(s, 0.2);  // cut 0.1
  EXPECT_EQ(kept(s), (std::vector<bool>{true, true, true, false}));
  s = log_probs({0.5, 0.3, 0.15, 0.05});
  apply_min_p(s, 1.0);  // only the top (ties with it would stay)
  EXPECT_EQ(kept(s), (std::vector<bool>{true, false, false, false}));
  s = log_probs({0.5, 0.3, 0.15, 0.05});
  apply_min_p(s, 0.0);
  EXPECT_EQ(kept(s), (std::vector<bool>{true, true, true, true}));
}

TEST(LogitsProcessors, ChainOrderFollowsTheReference) {
  SamplingParams p;
  p.repetition_penalty = 1.3;
  p.temperature = 0.7;
  p.top_k = 5;
  p.top_p = 0.9;
  p.min_p = 0.05;
  EXPECT_EQ(make_logits_chain(p, true).names(),
            (std::vector<std::string>{"repetition_penalty", "temperature", "top_k", "top_p", "min_p"}));
  // Without sampling only the repetition penalty applies.
  EXPECT_EQ(make_logits_chain(p, false).names(), (std::vector<std::string>{"repetition_penalty"}));
  EXPECT_TRUE(make_logits_chain(SamplingParams{}, true).empty());
}

TEST(LogitsProcessors, ChainComposesStages) {
  // penalty on id 0 (3 -> 1.5), temperature 0.5 doubles, top-k 2 keeps ids 1 and 2.
  SamplingParams p;
  p.repetition_penalty = 2.0;
  p.temperature = 0.5;
  p.top_k = 2;
  std::vector<float> s = {3.0f, 2.5f, 2.0f, -1.0f};
  const std::vector<int32_t> ctx = {0};
  make_logits_chain(p, true).apply(s, ctx);
  EXPECT_EQ(s, (std::vector<float>{-kInf, 5.0f, 4.0f, -kInf}));
}

std::vector<int32_t> banned(const std::vector<float>& s) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == -kInf) out.push_back(static_cast<int32_t>(i));
  return out;
}

TEST(LogitsProcessors, NoRepeatNGramBansWhatWouldCompleteASeenNGram) {
  const std::vector<int32_t> ctx = {5, 1, 2, 5, 1};
  // Trigrams seen: (5 1 2) (1 2 5) (2 5 1); the context ends in (5 1), so 2 would repeat (5 1 2).
  std::vector<float> s(7, 0.5f);
  apply_no_repeat_ngram(s, ctx, 3);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{2}));
  // Bigrams after 1: (1 2) only.
  s.assign(7, 0.5f);
  apply_no_repeat_ngram(s, ctx, 2);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{2}));
  // Unigrams: every token seen.
  s.assign(7, 0.5f);
  apply_no_repeat_ngram(s, ctx, 1);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{1, 2, 5}));
  // Fewer tokens than n: no n-gram yet.
  s.assign(7, 0.5f);
  apply_no_repeat_ngram(s, std::vector<int32_t>{5, 1}, 3);
  EXPECT_TRUE(banned(s).empty());
}

TEST(LogitsProcessors, BadWordsBanTheLastTokenAfterTheirPrefix) {
  const std::vector<std::vector<int32_t>> words = {{3}, {1, 4}, {2, 2, 5}};
  std::vector<float> s(6, 1.0f);
  apply_bad_words(s, std::vector<int32_t>{0, 1}, words);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{3, 4}));
  s.assign(6, 1.0f);
  apply_bad_words(s, std::vector<int32_t>{2, 2}, words);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{3, 5}));
  // A prefix longer than the context cannot match.
  s.assign(6, 1.0f);
  apply_bad_words(s, std::vector<int32_t>{2}, words);
  EXPECT_EQ(banned(s), (std::vector<int32_t>{3}));
}

TEST(LogitsProcessors, ForceTokensLeavesOnlyThemAtZero) {
  std::vector<float> s = {1.0f, -2.0f, 3.0f, 0.5f};
  force_tokens(s, std::vector<int32_t>{1});
  EXPECT_EQ(s, (std::vector<float>{-kInf, 0.0f, -kInf, -kInf}));
}

TEST(LogitsProcessors, ConstraintStagesFollowTheReferenceOrder) {
  SamplingParams p;
  p.repetition_penalty = 1.2;
  p.temperature = 0.5;
  TokenConstraints c;
  c.no_repeat_ngram_size = 3;
  c.bad_words_ids = {{4}};
  c.min_length = 5;
  c.eos_token_ids = {2};
  c.forced_bos_token_id = 0;
  c.forced_eos_token_ids = {2};
  c.max_length = 10;
  EXPECT_EQ(make_logits_chain(p, true, 1, c).names(),
            (std::vector<std::string>{"repetition_penalty", "no_repeat_ngram", "bad_words", "min_length", "forced_bos",
                                      "forced_eos", "temperature"}));
  // A one-token bad word that is an end token is dropped, as the reference drops it; min_length
  // needs an end token to ban.
  TokenConstraints eos_only;
  eos_only.bad_words_ids = {{2}};
  eos_only.eos_token_ids = {2};
  EXPECT_TRUE(make_logits_chain(SamplingParams{}, false, 1, eos_only).empty());
  TokenConstraints no_eos;
  no_eos.min_length = 4;
  EXPECT_TRUE(make_logits_chain(SamplingParams{}, false, 1, no_eos).empty());
}

TEST(LogitsProcessors, LengthStagesCountTheWholeContext) {
  TokenConstraints c;
  c.min_length = 3;
  c.eos_token_ids = {2};
  c.forced_bos_token_id = 1;
  c.forced_eos_token_ids = {2};
  c.max_length = 4;
  const LogitsChain chain = make_logits_chain(SamplingParams{}, false, 1, c);
  const auto run = [&](std::vector<int32_t> ctx) {
    std::vector<float> s = {0.1f, 0.2f, 0.3f, 0.4f};
    chain.apply(s, ctx);
    return s;
  };
  // One token (the decoder start): BOS forced.
  EXPECT_EQ(run({7}), (std::vector<float>{-kInf, 0.0f, -kInf, -kInf}));
  // Two tokens, below min_length 3: the end token banned.
  EXPECT_EQ(run({7, 1}), (std::vector<float>{0.1f, 0.2f, -kInf, 0.4f}));
  // max_length - 1 = 3 tokens: the end token forced.
  EXPECT_EQ(run({7, 1, 0}), (std::vector<float>{-kInf, -kInf, 0.0f, -kInf}));
  EXPECT_EQ(run({7, 1, 0, 3}), (std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}));
  // Both forced on one step (max_length 2): the end token, forced last, wins.
  c.max_length = 2;
  std::vector<float> s = {0.1f, 0.2f, 0.3f, 0.4f};
  make_logits_chain(SamplingParams{}, false, 1, c).apply(s, std::vector<int32_t>{7});
  EXPECT_EQ(s, (std::vector<float>{-kInf, -kInf, 0.0f, -kInf}));
}

TEST(LogitsProcessors, ValidateNamesTheConstraintOutOfTheVocabulary) {
  TokenConstraints c;
  c.bad_words_ids = {{1, 9}};
  try {
    validate(c, 5);
    FAIL() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.field(), "bad_words_ids");
  }
  c.bad_words_ids = {{}};
  EXPECT_THROW(validate(c, 5), OptionError);
  c.bad_words_ids.clear();
  c.forced_eos_token_ids = {5};
  EXPECT_THROW(validate(c, 5), OptionError);
  c.forced_eos_token_ids = {4};
  EXPECT_NO_THROW(validate(c, 5));
}

}  // namespace
}  // namespace tokprob
