// /v1/completions with prompts given as token ids, as the OpenAI API and vLLM take them and as
// lm-evaluation-harness sends them: the ids are used as given, never re-tokenised.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "running_server.hpp"
#include "tokprob/logits.hpp"
#include "tokprob/model.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::testing {
namespace {

class ServerTokenIdPrompts : public Gpt2ServerSuite {
 protected:
  static nlohmann::json ok(const nlohmann::json& body) {
    auto [status, answer] = server_->post("/v1/completions", body);
    EXPECT_EQ(status, 200) << answer.dump();
    return answer;
  }
};

// golden: per_position[i].next_token_logprob, the reference's logprob of token i + 1.
TEST_F(ServerTokenIdPrompts, EchoWithoutNewTokensGivesTheGoldenLogprobsOfTheIds) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    const auto& ids = p["input_ids"];
    if (ids.size() < 2) continue;
    const auto body = ok({{"prompt", ids}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 1}});
    const auto& lp = body["choices"][0]["logprobs"];
    ASSERT_EQ(lp["token_logprobs"].size(), ids.size()) << p["text"];
    EXPECT_TRUE(lp["token_logprobs"][0].is_null());
    for (size_t i = 1; i < ids.size(); ++i)
      EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), p["per_position"][i - 1]["next_token_logprob"].get<double>(),
                  1e-4)
          << p["text"] << " position " << i;
    EXPECT_EQ(body["choices"][0]["text"], p["text"]);
    EXPECT_EQ(body["usage"]["prompt_tokens"], ids.size());
  }
}

TEST_F(ServerTokenIdPrompts, IdsAreUsedAsGivenNotRetokenised) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const Tokenizer tok = Tokenizer::from_folder(fixtures_dir() / "gpt2-tiny");
  // "This" as "T" + "his": a spelling the tokenizer never makes of the text.
  const int32_t t = *tok.token_to_id("T"), his = *tok.token_to_id("his");
  const std::vector<int32_t> ids = {t, his, 5041, 314};
  ASSERT_NE(tok.encode(tok.decode(ids)).ids, ids);
  const auto body = ok({{"prompt", ids}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 0}});
  const auto& lp = body["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), ids.size());
  size_t offset = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(lp["tokens"][i], tok.token_text(ids[i]));
    EXPECT_EQ(lp["text_offset"][i], offset);
    offset += tok.token_text(ids[i]).size();  // ASCII here: bytes are code points
  }
  EXPECT_EQ(body["choices"][0]["text"], "This weekend I");
  // Each logprob is the log-softmax of the model's logits over exactly these ids.
  const Model model = load_folder(fixtures_dir() / "gpt2-tiny");
  const Logits l = logits(model, ids);
  for (size_t i = 1; i < ids.size(); ++i) {
    const float* row = l.values.data() + (i - 1) * l.cols;
    double max = row[0], sum = 0;
    for (int64_t v = 0; v < l.cols; ++v) max = std::max<double>(max, row[v]);
    for (int64_t v = 0; v < l.cols; ++v) sum += std::exp(row[v] - max);
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), row[ids[i]] - max - std::log(sum), 1e-5) << i;
    // logprobs 0 lists the token itself, as OpenAI and vLLM do (the client's type wants an object).
    EXPECT_EQ(lp["top_logprobs"][i], nlohmann::json({{tok.token_text(ids[i]), lp["token_logprobs"][i]}})) << i;
  }
}

TEST_F(ServerTokenIdPrompts, AListOfIdListsAnswersEachAsAlone) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& prompts = (*golden_)["prompts"];
  const nlohmann::json lists = {prompts[0]["input_ids"], prompts[1]["input_ids"], prompts[2]["input_ids"]};
  const auto together = ok({{"prompt", lists}, {"max_tokens", 2}, {"temperature", 0}, {"echo", true}, {"logprobs", 1}});
  ASSERT_EQ(together["choices"].size(), 3u);
  for (size_t p = 0; p < 3; ++p) {
    const auto alone = ok({{"prompt", lists[p]}, {"max_tokens", 2}, {"temperature", 0}, {"echo", true}, {"logprobs", 1}});
    const auto& a = alone["choices"][0];
    const auto& b = together["choices"][p];
    EXPECT_EQ(b["index"], p);
    EXPECT_EQ(b["text"], a["text"]);
    EXPECT_EQ(b["logprobs"]["tokens"], a["logprobs"]["tokens"]);
    ASSERT_EQ(b["logprobs"]["token_logprobs"].size(), a["logprobs"]["token_logprobs"].size());
    for (size_t i = 1; i < a["logprobs"]["token_logprobs"].size(); ++i)
      EXPECT_NEAR(b["logprobs"]["token_logprobs"][i].get<double>(), a["logprobs"]["token_logprobs"][i].get<double>(), 1e-5);
  }
}

// golden: greedy.new_ids, the reference's greedy continuation of the prompt's ids.
TEST_F(ServerTokenIdPrompts, GreedyContinuationOfIdsIsTheGoldens) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const Tokenizer tok = Tokenizer::from_folder(fixtures_dir() / "gpt2-tiny");
  const auto& p = (*golden_)["prompts"][0];
  const auto& greedy = p["greedy"];
  const auto body = ok({{"prompt", p["input_ids"]}, {"max_tokens", greedy["new_ids"].size()}, {"temperature", 0},
                        {"logprobs", 0}});
  const auto& tokens = body["choices"][0]["logprobs"]["tokens"];
  ASSERT_EQ(tokens.size(), greedy["new_ids"].size());
  for (size_t i = 0; i < tokens.size(); ++i) EXPECT_EQ(tokens[i], tok.token_text(greedy["new_ids"][i].get<int32_t>())) << i;
  EXPECT_EQ(body["choices"][0]["text"], greedy["new_text"]);
  // The same through a stream.
  auto c = server_->client();
  nlohmann::json streamed = {{"prompt", p["input_ids"]}, {"max_tokens", greedy["new_ids"].size()}, {"temperature", 0},
                             {"stream", true}};
  auto res = c.Post("/v1/completions", streamed.dump(), "application/json");
  ASSERT_TRUE(res);
  std::string text;
  for (size_t at = res->body.find("data: {"); at != std::string::npos; at = res->body.find("data: {", at + 1)) {
    const auto event = nlohmann::json::parse(res->body.substr(at + 6, res->body.find("\n\n", at) - at - 6));
    text += event["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, greedy["new_text"]);
}

TEST_F(ServerTokenIdPrompts, BadIdsAreOneErrorNamingTheFieldAndTheServerGoesOn) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto expect_400 = [](const nlohmann::json& prompt, const std::string& field) {
    auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", prompt}, {"max_tokens", 1}});
    EXPECT_EQ(status, 400) << prompt.dump();
    const std::string message = body["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("'" + field + "'"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  expect_400({1, 50257, 3}, "prompt[1]");  // one past the vocabulary
  expect_400({1, -1}, "prompt[1]");
  expect_400({{1, 2}, {3, 4, 999999999999}}, "prompt[1][2]");
  expect_400({{1, 2}, nlohmann::json::array()}, "prompt[1]");
  expect_400({1, 2.5}, "prompt[1]");
  expect_400({{1, 2}, 3}, "prompt[1]");
  expect_400({1, "two"}, "prompt[1]");
  expect_400({{1, {2}}}, "prompt[0][1]");
  expect_400(nlohmann::json::array(), "prompt");
  expect_400(nlohmann::json::object(), "prompt");
  auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", {1, 2}}, {"max_tokens", 1}});
  EXPECT_EQ(status, 200) << body.dump();
}

TEST_F(ServerTokenIdPrompts, TooManyIdsForThePositionsIsRefusedNamingTheField) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::vector<int32_t> long_ids(129, 262);  // the fixture has 128 positions
  auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", long_ids}, {"max_tokens", 0}, {"echo", true}});
  EXPECT_EQ(status, 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("'prompt'"), std::string::npos) << body.dump();
}

}  // namespace
}  // namespace tokprob::testing
