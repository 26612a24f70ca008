// GPT-2 forward pass against ../shared/fixtures/gpt2-tiny/golden.json (prompts[].input_ids).
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

struct Gpt2Fixture {
  Config config;
  std::unique_ptr<CausalLM> model;
  nlohmann::json golden;
};

Gpt2Fixture open_gpt2(const char* name = "gpt2-tiny") {
  const auto dir = fixtures_dir() / name;
  Config config = read_model_config(dir);
  auto model = load_causal_lm(dir, config);
  return {std::move(config), std::move(model), load_json(dir / "golden.json")};
}

std::vector<int32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

// Logits tolerance of fixtures/README.md: 1e-4, relative to the row's max |logit| when that is > 1.
double logits_tolerance(const std::vector<float>& golden) {
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

TEST(Gpt2, LastLogitsMatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_gpt2();
  const int64_t V = f.model->info().vocab_size;
  for (const auto& p : f.golden["prompts"]) {
    const auto ids = ids_of(p["input_ids"]);
    const auto logits = run_all_positions(*f.model, ids);
    const auto golden = p["last_logits"].get<std::vector<float>>();
    ASSERT_EQ(static_cast<int64_t>(golden.size()), V);
    const float* last = logits.data() + (ids.size() - 1) * V;
    double max_diff = 0;
    for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(last[i]) - golden[i]));
    EXPECT_LE(max_diff, logits_tolerance(golden)) << p["text"];
    Distribution d(std::span(last, V));
    EXPECT_NEAR(d.logsumexp(), p["last_logsumexp"].get<double>(), 1e-4) << p["text"];
    // top10 probabilities and ids
    auto top = d.top_k(10);
    for (size_t r = 0; r < 10; ++r) {
      EXPECT_EQ(top[r].id, p["top10"][r]["id"].get<int32_t>()) << p["text"] << " rank " << r;
      EXPECT_NEAR(std::exp(top[r].logprob), p["top10"][r]["prob"].get<double>(), 1e-5);
    }
  }
}

TEST(Gpt2, PerPositionMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_gpt2();
  const int64_t V = f.model->info().vocab_size;
  for (const auto& p : f.golden["prompts"]) {
    const auto ids = ids_of(p["input_ids"]);
    const auto logits = run_all_positions(*f.model, ids);
    const auto& per = p["per_position"];
    ASSERT_EQ(per.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      Distribution d(std::span(logits.data() + i * V, V));
      EXPECT_EQ(d.argmax(), per[i]["argmax"].get<int32_t>()) << p["text"] << " pos " << i;
      EXPECT_NEAR(d.logsumexp(), per[i]["logsumexp"].get<double>(), 1e-4) << p["text"] << " pos " << i;
      if (i + 1 < ids.size() && per[i].contains("next_token_logprob") && !per[i]["next_token_logprob"].is_null()) {
        EXPECT_NEAR(d.logprob(ids[i + 1]), per[i]["next_token_logprob"].get<double>(), 1e-4)
            << p["text"] << " pos " << i;
      }
    }
  }
}

TEST(Gpt2, BatchEqualsSingleAndCacheEqualsRecompute) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_gpt2();
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

  // Feeding a prompt token by token through the cache gives the full pass's last row.
  const auto& ids = prompts[0];
  auto state = f.model->new_state();
  std::vector<float> last;
  for (size_t i = 0; i < ids.size(); ++i) {
    DecodeChunk ch{state.get(), std::span(&ids[i], 1), {0}};
    last = f.model->forward(std::span(&ch, 1));
  }
  const auto full = run_all_positions(*f.model, ids);
  double max_diff = 0;
  for (int64_t i = 0; i < V; ++i) max_diff = std::max(max_diff, std::abs(double(last[i]) - full[(ids.size() - 1) * V + i]));
  EXPECT_LE(max_diff, 1e-4);
}

TEST(Gpt2, RejectsTooLongSequenceAndBadIds) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto f = open_gpt2();
  std::vector<int32_t> ids(f.model->info().max_positions + 1, 0);
  EXPECT_THROW(run_all_positions(*f.model, ids), Error);
  std::vector<int32_t> bad = {static_cast<int32_t>(f.model->info().vocab_size)};
  EXPECT_THROW(run_all_positions(*f.model, bad), Error);
}

}  // namespace
}  // namespace tokprob
