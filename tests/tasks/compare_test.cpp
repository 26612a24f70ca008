// compare: gpt2-tiny as observer and the same model with int8 weights as performer (one
// tokenizer, slightly different distributions), every number against a computation from the full
// logits; models with different tokenizers are refused.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.hpp"
#include "tokprob/compare.hpp"
#include "tokprob/error.hpp"
#include "tokprob/logits.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;

std::vector<std::vector<double>> log_softmax(const Logits& l) {
  std::vector<std::vector<double>> rows;
  for (int64_t r = 0; r < l.rows; ++r) {
    const float* x = l.values.data() + r * l.cols;
    double max = x[0], sum = 0;
    for (int64_t v = 1; v < l.cols; ++v) max = std::max(max, double(x[v]));
    for (int64_t v = 0; v < l.cols; ++v) sum += std::exp(double(x[v]) - max);
    std::vector<double> row(l.cols);
    for (int64_t v = 0; v < l.cols; ++v) row[v] = double(x[v]) - max - std::log(sum);
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(CompareTask, MatchesFullDistributionsAndBinocularsFormula) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const Model observer = load_folder(dir);
  const Model performer = load_folder(dir, LoadOptions(WeightFormat::int8));
  const std::string text = "The quick brown fox jumps over the lazy dog.";
  const auto r = compare(observer, performer, std::vector<std::string>{text})[0];
  const auto a = log_softmax(logits(observer, text));
  const auto b = log_softmax(logits(performer, text));
  ASSERT_EQ(r.tokens.size(), a.size());
  double la = 0, lb = 0, x = 0;
  for (size_t t = 1; t < r.tokens.size(); ++t) {
    const int32_t id = r.tokens[t].id;
    double h = 0;
    for (size_t v = 0; v < a[t - 1].size(); ++v) h -= std::exp(a[t - 1][v]) * b[t - 1][v];
    ASSERT_TRUE(r.tokens[t].observer_logprob && r.tokens[t].performer_logprob && r.tokens[t].cross_entropy);
    EXPECT_NEAR(*r.tokens[t].observer_logprob, a[t - 1][id], 1e-5);
    EXPECT_NEAR(*r.tokens[t].performer_logprob, b[t - 1][id], 1e-5);
    EXPECT_NEAR(*r.tokens[t].cross_entropy, h, 1e-5);
    la -= a[t - 1][id];
    lb -= b[t - 1][id];
    x += h;
  }
  EXPECT_FALSE(r.tokens[0].observer_logprob.has_value());
  const double n = double(r.tokens.size() - 1);
  EXPECT_EQ(r.scored_tokens, int64_t(r.tokens.size() - 1));
  EXPECT_NEAR(r.observer_log_perplexity, la / n, 1e-5);
  EXPECT_NEAR(r.performer_log_perplexity, lb / n, 1e-5);
  EXPECT_NEAR(r.cross_entropy, x / n, 1e-5);
  EXPECT_NEAR(r.binoculars, (la / n) / (x / n), 1e-6);
  // The int8 weights move the numbers: the test sees two different models.
  EXPECT_GT(std::abs(r.observer_log_perplexity - r.performer_log_perplexity), 1e-6);
}

TEST(CompareTask, RefusesModelsWithDifferentTokenizers) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const Model gpt2 = load_folder(fixtures_dir() / "gpt2-tiny");
  const Model stories = load_folder(fixtures_dir() / "tinystories-656k");
  try {
    compare(gpt2, stories, std::vector<std::string>{"Hello"});
    FAIL() << "compare accepted two tokenizers";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one tokenizer"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace tokprob
