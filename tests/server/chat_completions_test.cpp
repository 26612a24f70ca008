// /v1/chat/completions: the messages rendered by the model's chat template (here one writing
// "<|role|>content", so the prompt is known without the engine) and continued as the generate task
// continues that prompt tokenized without special tokens; OpenAI's chat logprobs shape; bad input
// is a 400 naming the field, and the server keeps serving.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "running_server.hpp"
#include "tokprob/generate.hpp"
#include "tokprob/model.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

fs::path chat_model_dir() {
  const fs::path dir = fs::temp_directory_path() / ("tokprob_chat_server_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(fixtures_dir() / "llama-tiny"))
    fs::create_symlink(fs::absolute(entry.path()), dir / entry.path().filename());
  std::ofstream(dir / "chat_template.jinja")
      << "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools here') }}{% endif %}"
         "<|{{ m.role }}|>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
  return dir;
}

class ServerChat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(fixtures_dir() / "llama-tiny")) return;
    dir_ = new fs::path(chat_model_dir());
    server_ = new RunningServer(dir_->string());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (dir_) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  static inline RunningServer* server_ = nullptr;
  static inline fs::path* dir_ = nullptr;
};

const nlohmann::json kMessages = {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hello"}}};

TEST_F(ServerChat, ContinuesTheRenderedConversationWithChatLogprobs) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  auto [status, body] = server_->post("/v1/chat/completions", nlohmann::json{{"messages", kMessages},
                                                                              {"max_tokens", 4},
                                                                              {"temperature", 0},
                                                                              {"logprobs", true},
                                                                              {"top_logprobs", 3}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["object"], "chat.completion");
  const auto& choice = body["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");

  const Model model = load_folder(*dir_);
  GenerateOptions g;
  g.max_new_tokens = 4;
  g.logprobs = 3;
  g.add_special_tokens = false;
  const GenerateResult expected = generate(model, "<|system|>Be brief.<|user|>Hello<|assistant|>", g);
  const auto& seq = expected.sequences.at(0);
  EXPECT_EQ(choice["message"]["content"], seq.text);
  EXPECT_EQ(body["usage"]["prompt_tokens"], expected.input_ids.size());
  const auto& content = choice["logprobs"]["content"];
  ASSERT_EQ(content.size(), seq.steps.size());
  for (size_t i = 0; i < content.size(); ++i) {
    EXPECT_EQ(content[i]["token"], seq.steps[i].text);
    EXPECT_DOUBLE_EQ(content[i]["logprob"].get<double>(), seq.steps[i].logprob);
    std::string bytes;
    for (const auto& b : content[i]["bytes"]) bytes += static_cast<char>(b.get<int>());
    EXPECT_EQ(bytes, seq.steps[i].text);
    ASSERT_EQ(content[i]["top_logprobs"].size(), 3u);
    EXPECT_EQ(content[i]["top_logprobs"][0]["token"], seq.steps[i].top.at(0).text);
  }
}

// OpenAI's content parts: this template prints content as a string, so the parts' texts reach it
// joined with "\n" (as vLLM's server gives them to such a template).
TEST_F(ServerChat, TextContentPartsAreReadAsTheirTextsJoined) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto request = nlohmann::json::parse(
      R"({"messages": [{"role": "system", "content": [{"type": "text", "text": "Be"}, {"type": "text", "text": "brief."}]},)"
      R"( {"role": "user", "content": [{"type": "text", "text": "Hello"}]}], "max_tokens": 3, "temperature": 0})");
  auto [status, body] = server_->post("/v1/chat/completions", request);
  ASSERT_EQ(status, 200) << body.dump();
  const Model model = load_folder(*dir_);
  GenerateOptions g;
  g.max_new_tokens = 3;
  g.add_special_tokens = false;
  const GenerateResult expected = generate(model, "<|system|>Be\nbrief.<|user|>Hello<|assistant|>", g);
  EXPECT_EQ(body["choices"][0]["message"]["content"], expected.sequences.at(0).text);
  EXPECT_EQ(body["usage"]["prompt_tokens"], expected.input_ids.size());
}

TEST_F(ServerChat, StreamsTheSameReply) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const nlohmann::json request = {{"messages", kMessages}, {"max_tokens", 5}, {"temperature", 0}};
  const auto whole = server_->post("/v1/chat/completions", request).second;
  nlohmann::json streaming = request;
  streaming["stream"] = true;
  auto c = server_->client();
  auto res = c.Post("/v1/chat/completions", streaming.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::string text, role;
  bool done = false, finished = false;
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: ", 0) != 0) continue;
    if (line == "data: [DONE]") {
      done = true;
      continue;
    }
    const auto event = nlohmann::json::parse(line.substr(6));
    EXPECT_EQ(event["object"], "chat.completion.chunk");
    const auto& delta = event["choices"][0]["delta"];
    if (delta.contains("role")) role = delta["role"];
    if (delta.contains("content")) text += delta["content"].get<std::string>();
    if (!event["choices"][0]["finish_reason"].is_null()) finished = true;
  }
  EXPECT_TRUE(done);
  EXPECT_TRUE(finished);
  EXPECT_EQ(role, "assistant");
  EXPECT_EQ(text, whole["choices"][0]["message"]["content"]);
}

TEST_F(ServerChat, BadInputIsA400NamingTheFieldAndTheServerKeepsServing) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"max_tokens", 2}}, "field 'messages' is required"},
      {{{"messages", nlohmann::json::array()}}, "field 'messages' must be a non-empty list of messages"},
      {{{"messages", {{{"content", "x"}}}}}, "field 'messages[0].role' must be a string"},
      {{{"messages", {{{"role", "user"}, {"content", 3}}}}}, "field 'messages[0].content' must be a string"},
      {{{"messages", {{{"role", "tool"}, {"content", "x"}}}}},
       "field 'messages': chat template raised an exception: no tools here"},
      {{{"messages", kMessages}, {"top_logprobs", 2}}, "field 'top_logprobs' needs 'logprobs': true"},
      {{{"messages", kMessages}, {"bogus", 1}}, "bogus"},
      {{{"messages", "Hello"}}, "field 'messages' must be a non-empty list of messages"},
      {{{"messages", {kMessages[0], "Hello"}}}, "field 'messages[1]' must be an object"},
      {{{"messages", {{{"role", 1}, {"content", "x"}}}}}, "field 'messages[0].role' must be a string"},
      {{{"messages", kMessages}, {"top_logprobs", 21}, {"logprobs", true}}, "field 'top_logprobs'"},
      {{{"messages", kMessages}, {"n", 0}}, "field 'n'"},
      {{{"messages", kMessages}, {"stop", 3}}, "field 'stop'"},
      {{{"messages", kMessages}, {"seed", 0.5}}, "field 'seed'"},
      {{{"messages", kMessages}, {"logit_bias", {{"999999", 5}}}}, "field 'logit_bias'"},
      {{{"messages", kMessages}, {"chat_template_kwargs", "x"}}, "field 'chat_template_kwargs'"},
      {{{"messages", kMessages}, {"stream_options", {{"include_usage", 1}}}}, "field 'stream_options.include_usage' must be true or false"},
      {{{"messages", kMessages}, {"stream_options", {{"usage", true}}}}, "unknown field 'stream_options.usage'"},
      // The conversation and the new tokens must fit the model's 128 positions.
      {{{"messages", kMessages}, {"max_tokens", 120}}, "field 'messages': the rendered conversation's"},
      // Content parts other than text, refused by name (OpenAI's image and audio parts).
      {nlohmann::json::parse(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "Look:"},)"
                             R"( {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]})"),
       "field 'messages[0].content[1].type' must be \"text\" (not \"image_url\")"},
      {nlohmann::json::parse(R"({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content":)"
                             R"( [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]})"),
       "field 'messages[1].content[0].type' must be \"text\" (not \"input_audio\")"},
  };
  for (const auto& [request, message] : cases) {
    auto [status, body] = server_->post("/v1/chat/completions", request);
    EXPECT_EQ(status, 400) << request.dump();
    EXPECT_NE(body["error"]["message"].get<std::string>().find(message), std::string::npos)
        << request.dump() << " -> " << body.dump();
  }
  EXPECT_EQ(server_->post("/v1/chat/completions", nlohmann::json{{"messages", kMessages}, {"max_tokens", 1}}).first, 200);
}

TEST(ServerChatWithoutTemplate, IsA400NamingTheModel) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer server("gpt2-tiny");
  auto [status, body] = server.post("/v1/chat/completions", nlohmann::json{{"messages", kMessages}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["message"], "the model gpt2-tiny has no chat template: use /v1/completions");
}

}  // namespace
}  // namespace tokprob::testing
