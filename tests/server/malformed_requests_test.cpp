// Bad requests get 4xx with an OpenAI-style error naming what is wrong, and the server keeps
// answering afterwards.
#include <gtest/gtest.h>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

class ServerMalformed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(fixtures_dir() / "gpt2-tiny")) return;
    ServerOptions o;
    o.limits.max_body_bytes = 64 * 1024;
    o.limits.max_prompt_tokens = 40;
    o.limits.max_texts = 4;
    server_ = new RunningServer("gpt2-tiny", o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // The error shape, and that the server still answers.
  static void expect_error(const std::pair<int, nlohmann::json>& r, int status, const std::string& in_message) {
    EXPECT_EQ(r.first, status) << r.second.dump();
    ASSERT_TRUE(r.second.is_object()) << "status " << r.first;
    ASSERT_TRUE(r.second.contains("error")) << r.second.dump();
    const auto& e = r.second["error"];
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_TRUE(e["type"].is_string());
    EXPECT_TRUE(e.contains("code"));
    EXPECT_NE(e["message"].get<std::string>().find(in_message), std::string::npos) << e["message"];
    EXPECT_EQ(server_->get("/health").first, 200) << "server stopped answering";
  }
  static RunningServer* server_;
};
RunningServer* ServerMalformed::server_ = nullptr;

TEST_F(ServerMalformed, BadJson) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const char* body : {"", "{", "{\"text\": }", "nul", "{\"text\": \"a\"} trailing", "\xff\xfe", "{\"text\": \"\xc3\"}"})
    expect_error(server_->post("/v1/next", std::string(body)), 400, "not valid JSON");
  // Nesting deep enough to overflow a recursive parser's stack.
  expect_error(server_->post("/v1/next", std::string(30000, '[') + std::string(30000, ']')), 400, "JSON object");
}

TEST_F(ServerMalformed, WrongTypesAndValuesNameTheField) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_error(server_->post("/v1/next", nlohmann::json::array({1, 2})), 400, "JSON object");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", 5}}), 400, "'text'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", {"a", 3}}}), 400, "'text[1]'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"top_k", "ten"}}), 400, "'top_k'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"top_k", 0}}), 400, "'top_k'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"top_k", 1.5}}), 400, "'top_k'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"top_k", 1e300}}), 400, "'top_k'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"all_positions", "yes"}}), 400,
               "'all_positions'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a"}, {"topk", 3}}), 400, "'topk'");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", "a b"}, {"position", 7}}), 400, "position");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", ""}}), 400, "empty");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", {"a", "b", "c", "d", "e"}}}), 400, "limit");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"max_tokens", -1}, {"echo", true}}),
               400, "'max_tokens'");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"max_tokens", 0}, {"echo", "x"}}),
               400, "'echo'");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"max_tokens", 0}, {"echo", true},
                                                               {"logprobs", -2}}),
               400, "'logprobs'");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", {1, 2, 50257}}}), 400, "'prompt[2]'");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"temperature", "hot"}}), 400,
               "'temperature'");
}

TEST_F(ServerMalformed, MissingPrompt) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_error(server_->post("/v1/next", nlohmann::json::object()), 400, "'text' is missing");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"max_tokens", 0}, {"echo", true}}), 400,
               "'prompt' is missing");
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", nlohmann::json::array()}}), 400, "empty list");
}

TEST_F(ServerMalformed, HugeBodyAndLongPrompt) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const nlohmann::json huge = {{"text", std::string(200 * 1024, 'a')}};
  const auto r = server_->post("/v1/next", huge);
  EXPECT_EQ(r.first, 413);
  EXPECT_EQ(server_->get("/health").first, 200);
  std::string words;
  for (int i = 0; i < 60; ++i) words += " word";
  expect_error(server_->post("/v1/next", nlohmann::json{{"text", words}}), 400, "more than the limit of 40");
  expect_error(server_->post("/v1/completions", nlohmann::json{{"prompt", words}, {"max_tokens", 0}, {"echo", true}}),
               400, "more than the limit of 40");
}

// Found while bounding the http_body fuzz target (fuzz/regressions/http_body/score-stride-1): a
// stride of 1 runs every token's whole window, minutes of work from a 6 kB body. The default
// --max-score-positions refuses it at once; the same text at the default stride is scored.
TEST_F(ServerMalformed, ScoreWithTinyStrideOnLongTextIsRefused) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  std::string text;
  for (int i = 0; i < 3000; ++i) text += " a";
  expect_error(server_->post("/v1/score", nlohmann::json{{"text", text}, {"stride", 1}}), 400,
               "more than the limit of " + std::to_string(ServerLimits{}.max_score_positions));
  const auto r = server_->post("/v1/score", nlohmann::json{{"text", text}});
  EXPECT_EQ(r.first, 200) << r.second.dump().substr(0, 300);
}

// A task option's error names the request's field, not the command-line flag.
TEST_F(ServerMalformed, OptionErrorsNameTheFieldNotAFlag) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& [field, value] : std::vector<std::pair<std::string, int>>{{"window", 1}, {"stride", 100}}) {
    nlohmann::json body = {{"text", "Hello world"}, {"window", 16}};
    body[field] = value;
    const auto r = server_->post("/v1/score", body);
    expect_error(r, 400, field + " must be");
    EXPECT_EQ(r.second["error"]["message"].get<std::string>().find("--"), std::string::npos) << r.second.dump();
  }
}

TEST_F(ServerMalformed, UnknownPathIsJson404) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_error(server_->post("/v1/nothing", nlohmann::json::object()), 404, "/v1/nothing");
}

TEST_F(ServerMalformed, OtherMethodsOnAPostRouteAre405) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_error(server_->get("/v1/next"), 405, "GET /v1/next takes POST");
  expect_error(server_->get("/v1/fill-mask"), 405, "POST");
  auto c = server_->client();
  auto res = c.Get("/v1/completions");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  res = c.Delete("/v1/score");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

// A masked-LM endpoint on GPT-2: the answer says what the model is and what it serves.
TEST_F(ServerMalformed, EndpointOfAnotherModelKindNamesTheKindAndTheEndpoints) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const char* path : {"/v1/fill-mask", "/v1/classify", "/v1/seq2seq"}) {
    const auto r = server_->post(path, nlohmann::json{{"text", "a [MASK] b"}});
    expect_error(r, 404, "causal-lm");
    const std::string message = r.second["error"]["message"];
    for (const char* part : {"/v1/completions", "/v1/next", "/v1/generate", "/v1/score", path})
      EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(r.second["error"]["code"], "wrong_model_kind");
  }
}

// `curl -d` sends application/x-www-form-urlencoded, which httplib caps at 8 KiB when it reads
// the body itself: a JSON endpoint reads any body as JSON up to the server's limit.
TEST_F(ServerMalformed, FormEncodedBodyPast8KiBIsReadAsJson) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  // JSON whitespace makes the body long without making the work long.
  const std::string body = "{\"text\": \"To be or not to\"," + std::string(9000, ' ') + "\"top_k\": 3}";
  ASSERT_GT(body.size(), 8192u);
  auto c = server_->client();
  const auto as_json = server_->post("/v1/next", body);
  ASSERT_EQ(as_json.first, 200) << as_json.second.dump().substr(0, 300);
  for (const char* type : {"application/x-www-form-urlencoded", "text/plain", ""}) {
    auto res = c.Post("/v1/next", body, type);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << type << ": " << res->body.substr(0, 300);
    const auto answer = nlohmann::json::parse(res->body);
    EXPECT_EQ(answer, as_json.second) << type;
  }
  // Past the limit the refusal names it in bytes, not by a command-line flag.
  auto res = c.Post("/v1/next", std::string(70 * 1024, ' ') + body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  const auto error = nlohmann::json::parse(res->body, nullptr, false);
  ASSERT_TRUE(error.is_object()) << res->body;
  const std::string message = error["error"]["message"];
  EXPECT_NE(message.find(std::to_string(64 * 1024) + " bytes"), std::string::npos) << message;
  EXPECT_EQ(message.find("--"), std::string::npos) << message;
  EXPECT_EQ(server_->get("/health").first, 200);
}

}  // namespace
}  // namespace tokprob::testing
