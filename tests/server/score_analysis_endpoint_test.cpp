// /v1/score's word probabilities and per-token analysis fields: the same numbers as the library
// call in this process (whose values the task tests check against full distributions).
#include <gtest/gtest.h>

#include "format/score_output.hpp"
#include "running_server.hpp"
#include "tokprob/score.hpp"

namespace tokprob::testing {
namespace {

class ServerScoreAnalysis : public Gpt2ServerSuite {};

TEST_F(ServerScoreAnalysis, WordsAndTokenStatsEqualTheLibrary) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string text = "Hello, world! The cat's toy was small.";
  auto [status, body] = server_->post("/v1/score", nlohmann::json{{"text", text},
                                                                  {"words", true},
                                                                  {"word_split", "whitespace"},
                                                                  {"token_stats", true},
                                                                  {"top_k", 3}});
  ASSERT_EQ(status, 200) << body.dump();
  const Model model = load_folder(fixtures_dir() / "gpt2-tiny");
  ScoreOptions o;
  o.words = true;
  o.word_split = ScoreOptions::WordSplit::whitespace;
  o.token_stats = true;
  o.top_k = 3;
  const auto expected = to_json(score(model, std::vector<std::string>{text}, o)[0]);
  EXPECT_EQ(body["results"][0], expected);
  const auto& words = body["results"][0]["words"];
  ASSERT_EQ(words.size(), 7u);
  EXPECT_EQ(words[1]["text"], "world!");
  EXPECT_EQ(body["results"][0]["word_marker"], "word_start");
  EXPECT_NEAR(words[1]["surprisal_bits"].get<double>(), -words[1]["logprob"].get<double>() / std::log(2.0), 1e-9);
  EXPECT_TRUE(body["results"][0]["tokens"][1].contains("entropy"));
}

TEST_F(ServerScoreAnalysis, BadWordFieldsAre400) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& bad : {nlohmann::json{{"text", "Hello world"}, {"word_split", "commas"}},
                          nlohmann::json{{"text", "Hello world"}, {"word_spans", {{0, 5}, {3, 8}}}},
                          nlohmann::json{{"text", "Hello world"}, {"word_spans", {{0, 50}}}},
                          nlohmann::json{{"text", "Hello world"}, {"word_spans", "0:5"}}}) {
    auto [status, response] = server_->post("/v1/score", bad);
    EXPECT_EQ(status, 400) << bad.dump() << " -> " << response.dump();
  }
  auto [status, response] =
      server_->post("/v1/score", nlohmann::json{{"text", "Hello world"}, {"word_spans", {{0, 5}, {6, 11}}}});
  ASSERT_EQ(status, 200) << response.dump();
  EXPECT_EQ(response["results"][0]["words"][1]["text"], "world");
}

}  // namespace
}  // namespace tokprob::testing
