// Generation and scoring through the server: /v1/generate and /v1/completions (greedy, with and
// without streaming) against gpt2-tiny's golden greedy decode, /v1/score against its
// per_position logprobs, /v1/seq2seq against t5-tiny's golden greedy output.
#include <gtest/gtest.h>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

class ServerGeneration : public Gpt2ServerSuite {};

// golden: prompts[].greedy.new_ids and step_logprobs.
TEST_F(ServerGeneration, GenerateGreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    auto [status, body] = server_->post("/v1/generate", nlohmann::json{{"text", p["text"]}, {"max_new_tokens", 20}});
    ASSERT_EQ(status, 200) << body.dump();
    const auto& seq = body["results"][0]["sequences"][0];
    EXPECT_EQ(seq["new_ids"], p["greedy"]["new_ids"]) << p["text"];
    ASSERT_EQ(seq["steps"].size(), p["greedy"]["step_logprobs"].size());
    for (size_t i = 0; i < seq["steps"].size(); ++i)
      EXPECT_NEAR(seq["steps"][i]["logprob"].get<double>(), p["greedy"]["step_logprobs"][i].get<double>(), 1e-4);
  }
}

TEST_F(ServerGeneration, CompletionsGreedyMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", p["text"]},
                                                                          {"max_tokens", 20},
                                                                          {"temperature", 0},
                                                                          {"logprobs", 2}});
    ASSERT_EQ(status, 200) << body.dump();
    const auto& c = body["choices"][0];
    EXPECT_EQ(c["text"], p["greedy"]["new_text"]) << p["text"];
    EXPECT_EQ(c["finish_reason"], "length");
    const auto& lps = c["logprobs"]["token_logprobs"];
    ASSERT_EQ(lps.size(), p["greedy"]["step_logprobs"].size());
    for (size_t i = 0; i < lps.size(); ++i)
      EXPECT_NEAR(lps[i].get<double>(), p["greedy"]["step_logprobs"][i].get<double>(), 1e-4);
    EXPECT_EQ(body["usage"]["completion_tokens"], 20);
  }
}

TEST_F(ServerGeneration, CompletionsStreamTokenByToken) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& p = (*golden_)["prompts"][1];
  auto c = server_->client();
  auto res = c.Post("/v1/completions",
                    nlohmann::json{{"prompt", p["text"]}, {"max_tokens", 20}, {"temperature", 0}, {"stream", true}}.dump(),
                    "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::string text, finish;
  int events = 0;
  bool done = false;
  for (size_t pos = 0; pos < res->body.size();) {
    const size_t end = res->body.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    const std::string data = res->body.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (data == "[DONE]") {
      done = true;
      break;
    }
    const auto e = nlohmann::json::parse(data);
    ASSERT_FALSE(e.contains("error")) << data;
    text += e["choices"][0]["text"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
    ++events;
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(text, p["greedy"]["new_text"]);
  EXPECT_EQ(finish, "length");
  EXPECT_GE(events, 10);  // one event per token (a few are held back while a character is split)
}

TEST_F(ServerGeneration, CompletionsSampleWithSeedRepeatsAndTakesN) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const nlohmann::json req = {{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 0.8},
                              {"seed", 42},                   {"n", 3},          {"logprobs", 1}};
  auto [s1, a] = server_->post("/v1/completions", req);
  auto [s2, b] = server_->post("/v1/completions", req);
  ASSERT_EQ(s1, 200) << a.dump();
  ASSERT_EQ(s2, 200);
  ASSERT_EQ(a["choices"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a["choices"][i]["text"], b["choices"][i]["text"]);
}

TEST_F(ServerGeneration, CompletionsStopSequenceIsCut) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& p = (*golden_)["prompts"][0];
  const std::string full = p["greedy"]["new_text"];
  ASSERT_GE(full.size(), 6u);
  const std::string stop = full.substr(3, 3);
  auto [status, body] = server_->post(
      "/v1/completions", nlohmann::json{{"prompt", p["text"]}, {"max_tokens", 20}, {"temperature", 0}, {"stop", stop}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["choices"][0]["text"], full.substr(0, full.find(stop)));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
}

// lm-evaluation-harness sends a task's stop strings plus the EOS text: more than OpenAI's 4.
TEST_F(ServerGeneration, CompletionsTakeSixStopSequencesAndRefuseMoreThanSixteen) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& p = (*golden_)["prompts"][0];
  const std::string full = p["greedy"]["new_text"];
  const std::string stop = full.substr(3, 3);
  const nlohmann::json six = {"never 1", "never 2", "never 3", "never 4", stop, "<|endoftext|>"};
  auto [status, body] = server_->post(
      "/v1/completions", nlohmann::json{{"prompt", p["text"]}, {"max_tokens", 20}, {"temperature", 0}, {"stop", six}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["choices"][0]["text"], full.substr(0, full.find(stop)));
  std::vector<std::string> seventeen(17, "x");
  auto [refused, error] = server_->post(
      "/v1/completions", nlohmann::json{{"prompt", p["text"]}, {"max_tokens", 2}, {"stop", seventeen}});
  EXPECT_EQ(refused, 400);
  EXPECT_NE(error["error"]["message"].get<std::string>().find("'stop'"), std::string::npos) << error.dump();
}

// golden: prompts[].per_position[i].next_token_logprob.
TEST_F(ServerGeneration, ScoreMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto& p = (*golden_)["prompts"][0];
  auto [status, body] = server_->post("/v1/score", nlohmann::json{{"text", p["text"]}});
  ASSERT_EQ(status, 200) << body.dump();
  const auto& tokens = body["results"][0]["tokens"];
  ASSERT_EQ(tokens.size(), p["input_ids"].size());
  EXPECT_TRUE(tokens[0]["logprob"].is_null());
  for (size_t i = 0; i + 1 < tokens.size(); ++i)
    EXPECT_NEAR(tokens[i + 1]["logprob"].get<double>(), p["per_position"][i]["next_token_logprob"].get<double>(), 1e-4);
}

TEST_F(ServerGeneration, BadGenerateFieldsAre400) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& bad : {nlohmann::json{{"text", "a"}, {"max_new_tokens", 100000}},
                          nlohmann::json{{"text", "a"}, {"early_stopping", "sometimes"}},
                          nlohmann::json{{"text", "a"}, {"eos_token_ids", {1, "x"}}},
                          nlohmann::json{{"text", "a"}, {"seed", -1}}}) {
    auto [status, body] = server_->post("/v1/generate", bad);
    EXPECT_EQ(status, 400) << bad.dump() << " -> " << body.dump();
  }
  auto [status, body] = server_->post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"max_tokens", 200}});
  EXPECT_EQ(status, 400) << body.dump();  // more than the server's --max-tokens (256 passes 128 positions too)
  EXPECT_EQ(server_->get("/health").first, 200);
}

// golden: seq2seq[].greedy_output_ids (which start with the decoder start token, not reported by the task).
TEST(ServerSeq2Seq, GreedyOutputMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  RunningServer server("t5-tiny");
  EXPECT_EQ(server.get("/v1/models").second["data"][0]["kind"], "seq2seq");
  const auto golden = load_json(fixtures_dir() / "t5-tiny" / "golden.json");
  for (const auto& g : golden["seq2seq"]) {
    auto [status, body] = server.post("/v1/seq2seq", nlohmann::json{{"text", g["text"]}, {"top_k", 3}});
    ASSERT_EQ(status, 200) << body.dump();
    auto expected = g["greedy_output_ids"];
    expected.erase(0);
    EXPECT_EQ(body["results"][0]["output_ids"], expected) << g["text"];
  }
}

// Expected sequences from transformers 5.25: T5ForConditionalGeneration on t5-tiny,
// generate(**tokenizer(text), do_sample=False, **fields), the start token left out.
TEST(ServerSeq2Seq, BeamSearchFieldsMatchTransformers) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  RunningServer server("t5-tiny");
  const std::string text = "translate English to German: The house is wonderful.";
  auto [status, body] = server.post("/v1/seq2seq", nlohmann::json{{"text", text},
                                                                    {"num_beams", 3},
                                                                    {"no_repeat_ngram_size", 2},
                                                                    {"max_new_tokens", 12},
                                                                    {"length_penalty", 2.0},
                                                                    {"early_stopping", true}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["results"][0]["output_ids"],
            nlohmann::json({15994, 19602, 21525, 5454, 6509, 14360, 364, 19601, 14087, 28933, 28933, 3826}));
  EXPECT_NEAR(body["results"][0]["beam_score"].get<double>(), -0.10975262522697449, 1e-4);
  std::tie(status, body) = server.post("/v1/seq2seq", nlohmann::json{{"text", text},
                                                                      {"num_beams", 4},
                                                                      {"min_new_tokens", 6},
                                                                      {"max_new_tokens", 10},
                                                                      {"repetition_penalty", 1.3},
                                                                      {"early_stopping", "never"}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["results"][0]["output_ids"],
            nlohmann::json({15195, 19388, 423, 12282, 26757, 26757, 26757, 26757, 26757, 26757}));
  for (const auto& bad : {nlohmann::json{{"text", text}, {"early_stopping", "sometimes"}},
                          nlohmann::json{{"text", text}, {"num_beams", 0}},
                          nlohmann::json{{"text", text}, {"no_repeat_ngram_size", -1}},
                          nlohmann::json{{"text", text}, {"repetition_penalty", 0}}}) {
    std::tie(status, body) = server.post("/v1/seq2seq", bad);
    EXPECT_EQ(status, 400) << bad.dump() << " -> " << body.dump();
  }
}

// T5 has no fixed positions, so without --max-prompt-tokens a text's length would be bounded only
// by the body size, and the encoder's attention memory grows with its square.
TEST(ServerSeq2Seq, TextLengthIsBoundedWithoutModelPositions) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  RunningServer server("t5-tiny");
  std::string text;
  for (int i = 0; i < 3000; ++i) text += " a";
  auto [status, body] = server.post("/v1/seq2seq", nlohmann::json{{"text", text}});
  EXPECT_EQ(status, 400) << body.dump().substr(0, 300);
  EXPECT_NE(body["error"]["message"].get<std::string>().find(
                "more than the limit of " + std::to_string(kPromptTokensWithoutPositions)),
            std::string::npos)
      << body.dump();
  std::tie(status, body) = server.post("/v1/seq2seq", nlohmann::json{{"text", text.substr(0, 1000)}, {"max_new_tokens", 2}});
  EXPECT_EQ(status, 200) << body.dump().substr(0, 300);
}

}  // namespace
}  // namespace tokprob::testing
