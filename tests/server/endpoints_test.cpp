// The server's endpoints against the gpt2-tiny goldens: /v1/next (golden top10) and
// /v1/completions with echo (golden per_position next_token_logprob).
#include <gtest/gtest.h>

#include <cmath>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

class ServerEndpoints : public Gpt2ServerSuite {};

TEST_F(ServerEndpoints, HealthAndModelsNameTheModelKind) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto [status, health] = server_->get("/health");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["model"]["kind"], "causal-lm");
  auto [mstatus, models] = server_->get("/v1/models");
  ASSERT_EQ(mstatus, 200);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "gpt2-tiny");
  EXPECT_EQ(models["data"][0]["model_type"], "gpt2");
  EXPECT_EQ(models["data"][0]["dtype"], "fp32");
  EXPECT_EQ(models["data"][0]["kind"], "causal-lm");
}

// golden: prompts[].input_ids and prompts[].top10 (id, prob).
TEST_F(ServerEndpoints, NextTop10MatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    auto [status, body] = server_->post("/v1/next", nlohmann::json{{"text", p["text"]}, {"top_k", 10}});
    ASSERT_EQ(status, 200) << body.dump();
    ASSERT_EQ(body["results"].size(), 1u);
    const auto& r = body["results"][0];
    EXPECT_EQ(r["input_ids"], p["input_ids"]) << p["text"];
    ASSERT_EQ(r["top"].size(), 10u);
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(r["top"][k]["id"], p["top10"][k]["id"]) << p["text"] << " rank " << k;
      EXPECT_NEAR(r["top"][k]["prob"].get<double>(), p["top10"][k]["prob"].get<double>(), 1e-5);
    }
  }
}

TEST_F(ServerEndpoints, NextTakesSeveralTextsAndTheTaskOptions) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& prompts = (*golden_)["prompts"];
  auto [status, body] = server_->post(
      "/v1/next", nlohmann::json{{"text", {prompts[0]["text"], prompts[1]["text"]}}, {"top_k", 3}, {"targets", {" the"}}});
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["results"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(body["results"][i]["top"].size(), 3u);
    EXPECT_EQ(body["results"][i]["top"][0]["id"], prompts[i]["top10"][0]["id"]);
    ASSERT_EQ(body["results"][i]["targets"].size(), 1u);
    EXPECT_EQ(body["results"][i]["targets"][0]["target"], " the");
  }
  // all_positions: one distribution per token, whose argmax is the golden per_position argmax.
  auto [s2, all] = server_->post("/v1/next", nlohmann::json{{"text", prompts[0]["text"]}, {"all_positions", true},
                                                            {"top_k", 1}});
  ASSERT_EQ(s2, 200) << all.dump();
  const auto& per = prompts[0]["per_position"];
  ASSERT_EQ(all["results"].size(), per.size());
  for (size_t i = 0; i < per.size(); ++i) EXPECT_EQ(all["results"][i]["top"][0]["id"], per[i]["argmax"]);
}

// golden: prompts[].per_position[i].next_token_logprob = log P(input_ids[i+1] | input_ids[..i]).
TEST_F(ServerEndpoints, CompletionsEchoLogprobsMatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    auto [status, body] = server_->post(
        "/v1/completions",
        nlohmann::json{{"model", "gpt2-tiny"}, {"prompt", p["text"]}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 3}});
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_EQ(body["object"], "text_completion");
    ASSERT_EQ(body["choices"].size(), 1u);
    const auto& c = body["choices"][0];
    EXPECT_EQ(c["text"], p["text"]);
    const auto& lp = c["logprobs"];
    const size_t n = p["input_ids"].size();
    ASSERT_EQ(lp["tokens"].size(), n);
    ASSERT_EQ(lp["token_logprobs"].size(), n);
    ASSERT_EQ(lp["top_logprobs"].size(), n);
    ASSERT_EQ(lp["text_offset"].size(), n);
    EXPECT_TRUE(lp["token_logprobs"][0].is_null());
    EXPECT_TRUE(lp["top_logprobs"][0].is_null());
    EXPECT_EQ(lp["text_offset"][0], 0);
    const auto& per = p["per_position"];
    for (size_t i = 0; i + 1 < n; ++i) {
      EXPECT_NEAR(lp["token_logprobs"][i + 1].get<double>(), per[i]["next_token_logprob"].get<double>(), 1e-4)
          << p["text"] << " token " << i + 1;
      EXPECT_GE(lp["top_logprobs"][i + 1].size(), 1u);
      EXPECT_LE(lp["top_logprobs"][i + 1].size(), 4u);  // logprobs + the token itself
      EXPECT_GE(lp["text_offset"][i + 1].get<int64_t>(), lp["text_offset"][i].get<int64_t>());
    }
    EXPECT_EQ(body["usage"]["prompt_tokens"], n);
  }
}

TEST_F(ServerEndpoints, CompletionsListPromptsAndChoices) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", {"To be or not to", "Hello world"}},
                                                                        {"max_tokens", 0},
                                                                        {"echo", true},
                                                                        {"n", 2}});
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["choices"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(body["choices"][i]["index"], i);
    EXPECT_TRUE(body["choices"][i]["logprobs"].is_null());  // not asked for
  }
  EXPECT_EQ(body["choices"][2]["text"], "Hello world");
}

TEST_F(ServerEndpoints, CompletionsStreamAsServerSentEvents) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto c = server_->client();
  auto res = c.Post("/v1/completions",
                    nlohmann::json{{"prompt", "To be or not to"}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 1},
                                   {"stream", true}}
                        .dump(),
                    "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  const std::string& s = res->body;
  ASSERT_GE(s.size(), 20u);
  EXPECT_EQ(s.rfind("data: [DONE]\n\n"), s.size() - 14);
  const auto first_end = s.find("\n\n");
  ASSERT_EQ(s.rfind("data: ", 0), 0u);
  const auto event = nlohmann::json::parse(s.substr(6, first_end - 6));
  EXPECT_EQ(event["choices"][0]["text"], "To be or not to");
  EXPECT_EQ(event["choices"][0]["logprobs"]["tokens"].size(), 5u);
}

TEST_F(ServerEndpoints, PageIsServedWithItsParts) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto c = server_->client();
  auto res = c.Get("/");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/html"), std::string::npos);
  for (const char* part : {"<textarea id=\"text\"", "id=\"bars\"", "id=\"model\"", "/v1/next", "/v1/models", "<script>",
                           "<style>"})
    EXPECT_NE(res->body.find(part), std::string::npos) << part;
  // No external assets: the page works with nothing but this server.
  EXPECT_EQ(res->body.find("http://"), std::string::npos);
  EXPECT_EQ(res->body.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace tokprob::testing
