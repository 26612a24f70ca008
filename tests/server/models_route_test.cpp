// /v1/models says how long a text the server takes, also for a model without a fixed limit.
#include <gtest/gtest.h>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

// T5's relative positions have no limit: max_positions is null, not 0, and the limit the server
// enforces per text is said.
TEST(ServerModels, T5HasNoFixedPositionsAndSaysTheServersLimit) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  RunningServer server("t5-tiny");
  auto [status, models] = server.get("/v1/models");
  ASSERT_EQ(status, 200);
  const auto& m = models["data"][0];
  EXPECT_TRUE(m["max_positions"].is_null()) << m.dump();
  EXPECT_EQ(m["max_prompt_tokens"], kPromptTokensWithoutPositions);
}

TEST(ServerModels, Gpt2SaysItsPositions) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  ServerOptions o;
  o.limits.max_prompt_tokens = 40;
  RunningServer server("gpt2-tiny", o);
  auto [status, models] = server.get("/v1/models");
  ASSERT_EQ(status, 200);
  const auto config = load_json(fixtures_dir() / "gpt2-tiny" / "config.json");
  EXPECT_EQ(models["data"][0]["max_positions"], config["n_positions"]);
  EXPECT_EQ(models["data"][0]["max_prompt_tokens"], 40);
}

}  // namespace
}  // namespace tokprob::testing
