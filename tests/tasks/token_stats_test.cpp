// score's per-token analysis (entropy, rank, top-k alternatives: the GLTR view) against the full
// log-softmax rows, computed here with a plain sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fixtures.hpp"
#include "models/registry.hpp"
#include "tasks/score.hpp"

namespace tokprob {
namespace {

using testing::fixtures_dir;

void check_token_stats(const char* name, const std::string& text) {
  const auto dir = fixtures_dir() / name;
  const auto model = load_causal_lm(dir, read_model_config(dir));
  const auto tok = Tokenizer::from_folder(dir);
  ScoreOptions o;
  o.token_stats = true;
  o.top_k = 5;
  const auto r = score_texts(*model, tok, std::vector<std::string>{text}, o)[0];
  std::vector<int32_t> ids;
  for (const auto& t : r.tokens) ids.push_back(t.id);
  const int64_t V = model->info().vocab_size;
  auto state = model->new_state();
  DecodeChunk ch{state.get(), std::span(ids), {}};
  for (int64_t t = 0; t + 1 < static_cast<int64_t>(ids.size()); ++t) ch.logits_for.push_back(t);
  const auto logits = model->forward(std::span(&ch, 1));
  EXPECT_FALSE(r.tokens[0].entropy.has_value());
  EXPECT_FALSE(r.tokens[0].rank.has_value());
  for (size_t t = 1; t < ids.size(); ++t) {
    const float* row = logits.data() + (t - 1) * V;
    double max = row[0], sum = 0;
    for (int64_t v = 1; v < V; ++v) max = std::max(max, double(row[v]));
    for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - max);
    std::vector<double> lp(V);
    double entropy = 0;
    for (int64_t v = 0; v < V; ++v) {
      lp[v] = double(row[v]) - max - std::log(sum);
      entropy -= std::exp(lp[v]) * lp[v];
    }
    // Rank by sorting: logit descending, the lower id first on ties.
    std::vector<int32_t> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    const auto rank = std::find(order.begin(), order.end(), ids[t]) - order.begin() + 1;
    const auto& s = r.tokens[t];
    ASSERT_TRUE(s.entropy && s.rank);
    EXPECT_NEAR(*s.entropy, entropy, 1e-5) << name << " token " << t;
    EXPECT_EQ(*s.rank, rank) << name << " token " << t;
    ASSERT_EQ(s.alternatives.size(), 5u);
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(s.alternatives[k].id, order[k]);
      EXPECT_NEAR(s.alternatives[k].logprob, lp[order[k]], 1e-5);
    }
  }
}

TEST(ScoreTokenStats, Gpt2TinyMatchesSortedDistributions) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_token_stats("gpt2-tiny", "Hello world, how are you today?");
}

TEST(ScoreTokenStats, TinyStoriesMatchesSortedDistributions) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_token_stats("tinystories-656k", "Once upon a time, there was a little girl named Lily.");
}

}  // namespace
}  // namespace tokprob
