// Llama forward pass against ../shared/fixtures/{llama-tiny,tinystories-656k}/golden.json
// (prompts[].input_ids, last_logits, last_logsumexp, top10, per_position).
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

struct LlamaFixture {
  std::unique_ptr<CausalLM> model;
  nlohmann::json golden;
};

LlamaFixture open_fixture(const char* name) {
  const auto dir = fixtures_dir() / name;
  const Config config = read_model_config(dir);
  return {load_causal_lm(dir, config), load_json(dir / "golden.json")};
}

std::vector<int32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

// Logits tolerance of fixtures/README.md: 1e-4, relative to the row's max |logit| when that is > 1.
double logits_tolerance(std::span<const float> golden) {
  double mx = 0;
  for (float v : golden) mx = std::max(mx, std::abs(static_cast<double>(v)));
  return 1e-4 * std::max(1.0, mx);
}

std::vector<float> run_all_positions(const CausalLM& m, const std::vector<int32_t>& ids) {
  auto state = m.new_state();
  DecodeChunk ch{state.get(), ids, {}};
  for (size_t i = 0; i < ids.size(); ++i) ch.logits_for.push_back(static_cast<int64_t>(i));
  return m.forward(std::span(&ch, 1));
}

void check_last_logits(const char* fixture) {
  auto f = open_fixture(fixture);
  const int64_t V = f.model->info().vocab_size;
  ASSERT_FALSE(f.golden["prompts"].empty());
  for (const auto& p : f.golden["prompts"]) {
    const auto ids = ids_of(p["input_ids"]);
    const auto logits = run_all_positions(*f.model, ids);
    const auto golden = p["last_logits"].get<std::vector<float>>();
    ASSERT_EQ(static_cast<int64_t>(golden.size()), V);
    const float* last = logits.data() + (ids.size() - 1) * V;
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(last[i]) - golden[i]));
    EXPECT_LE(max_diff, logits_tolerance(golden)) << fixture << ": " << p["text"];
    Distribution d(std::span(last, V));
    if (p.contains("last_logsumexp")) {
      EXPECT_NEAR(d.logsumexp(), p["last_logsumexp"].get<double>(), 1e-4) << p["text"];
    }
    const auto top = d.top_k(10);
    for (size_t r = 0; r < 10; ++r) {
      EXPECT_EQ(top[r].id, p["top10"][r]["id"].get<int32_t>()) << fixture << ": " << p["text"] << " rank " << r;
      EXPECT_NEAR(std::exp(top[r].logprob), p["top10"][r]["prob"].get<double>(), 1e-5);
      EXPECT_NEAR(top[r].logit, p["top10"][r]["logit"].get<double>(), logits_tolerance(golden));
    }
  }
}

TEST(Llama, LlamaTinyLastLogitsAndTop10MatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_last_logits("llama-tiny");
}

TEST(Llama, TinyStoriesLastLogitsAndTop10MatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_last_logits("tinystories-656k");
}

TEST(Llama, LlamaTinyPerPositionMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto f = open_fixture("llama-tiny");
  const int64_t V = f.model->info().vocab_size;
  for (const auto& p : f.golden["prompts"]) {
    const auto ids = ids_of(p["input_ids"]);
    const auto logits = run_all_positions(*f.model, ids);
    const auto& per = p["per_position"];
    ASSERT_EQ(per.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      Distribution d(std::span(logits.data() + i * V, V));
      EXPECT_EQ(d.argmax(), per[i]["argmax"].get<int32_t>()) << p["text"] << " pos " << i;
      EXPECT_NEAR(d.logit(d.argmax()), per[i]["max_logit"].get<double>(), 1e-4 * std::max(1.0, std::abs(double(d.logit(d.argmax())))));
      EXPECT_NEAR(d.logsumexp(), per[i]["logsumexp"].get<double>(), 1e-4) << p["text"] << " pos " << i;
      if (i + 1 < ids.size() && !per[i]["next_token_logprob"].is_null()) {
        EXPECT_NEAR(d.logprob(ids[i + 1]), per[i]["next_token_logprob"].get<double>(), 1e-4)
            << p["text"] << " pos " << i;
      }
    }
  }
}

TEST(Llama, BatchEqualsSingleAndCacheEqualsRecompute) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto f = open_fixture("llama-tiny");
  const int64_t V = f.model->info().vocab_size;
  std::vector<std::vector<int32_t>> prompts;
  for (const auto& p : f.golden["prompts"]) prompts.push_back(ids_of(p["input_ids"]));

  std::vector<std::unique_ptr<DecoderState>> states;
  std::vector<DecodeChunk> chunks;
  for (auto& ids : prompts) {
    states.push_back(f.model->new_state());
    chunks.push_back({states.back().get(), ids, {static_cast<int64_t>(ids.size()) - 1}});
  }
  const auto batched = f.model->forward(chunks);
  for (size_t s = 0; s < prompts.size(); ++s) {
    const auto single = run_all_positions(*f.model, prompts[s]);
    const float* a = batched.data() + s * V;
    const float* b = single.data() + (prompts[s].size() - 1) * V;
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(a[i]) - b[i]));
    EXPECT_LE(max_diff, 1e-4) << "prompt " << s;
  }

  // The prompt in two uneven pieces, then token by token, through the cache: same rows as one pass
  // (the rotary angles must follow the absolute positions).
  const auto& ids = prompts.back();
  const auto full = run_all_positions(*f.model, ids);
  auto state = f.model->new_state();
  const size_t split = ids.size() / 3;
  DecodeChunk first{state.get(), std::span(ids).first(split), {static_cast<int64_t>(split) - 1}};
  auto part = f.model->forward(std::span(&first, 1));
  double max_diff = 0;
  for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(part[i]) - full[(split - 1) * V + i]));
  for (size_t i = split; i < ids.size(); ++i) {
    DecodeChunk ch{state.get(), std::span(&ids[i], 1), {0}};
    part = f.model->forward(std::span(&ch, 1));
    for (int64_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::abs(double(part[j]) - full[i * V + j]));
  }
  EXPECT_LE(max_diff, 1e-4);

  // A cloned state continues independently of the original.
  auto forked = state->clone();
  const int32_t next = 5;
  DecodeChunk a{state.get(), std::span(&next, 1), {0}};
  DecodeChunk b{forked.get(), std::span(&next, 1), {0}};
  const auto la = f.model->forward(std::span(&a, 1));
  const auto lb = f.model->forward(std::span(&b, 1));
  EXPECT_EQ(la, lb);
}

TEST(Llama, RejectsTooLongSequenceAndBadIds) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto f = open_fixture("llama-tiny");
  std::vector<int32_t> ids(f.model->info().max_positions + 1, 1);
  EXPECT_THROW(run_all_positions(*f.model, ids), Error);
  std::vector<int32_t> bad = {static_cast<int32_t>(f.model->info().vocab_size)};
  EXPECT_THROW(run_all_positions(*f.model, bad), Error);
  bad = {-1};
  EXPECT_THROW(run_all_positions(*f.model, bad), Error);
}

TEST(Llama, InfoFromConfig) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  auto f = open_fixture("tinystories-656k");
  EXPECT_EQ(f.model->info().model_type, "llama");
  EXPECT_EQ(f.model->info().vocab_size, 2048);
  EXPECT_EQ(f.model->info().max_positions, 512);
  EXPECT_EQ(f.model->info().eos_token_id, 2);
}

}  // namespace
}  // namespace tokprob
