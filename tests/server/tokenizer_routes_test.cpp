// /tokenize, /detokenize and /tokenizer_info in vLLM's shapes, which lm-evaluation-harness's
// remote tokenizer reads.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "running_server.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::testing {
namespace {

class ServerTokenizerRoutes : public Gpt2ServerSuite {};

// golden: tokenization[].ids (the reference tokenizer's) and .decoded.
TEST_F(ServerTokenizerRoutes, TokenizeAndDetokenizeGiveTheGoldens) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& t : (*golden_)["tokenization"]) {
    auto [status, body] = server_->post("/tokenize", nlohmann::json{{"model", "gpt2-tiny"}, {"prompt", t["text"]},
                                                                    {"add_special_tokens", false}});
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_EQ(body["tokens"], t["ids_no_special"]) << t["text"];
    EXPECT_EQ(body["count"], t["ids_no_special"].size());
    EXPECT_EQ(body["max_model_len"], 128);
    EXPECT_TRUE(body["token_strs"].is_null());
    if (t["ids"].empty()) continue;
    auto [s2, decoded] = server_->post("/detokenize", nlohmann::json{{"tokens", t["ids"]}});
    ASSERT_EQ(s2, 200) << decoded.dump();
    EXPECT_EQ(decoded["prompt"], t["decoded"]) << t["text"];
  }
  const auto& first = (*golden_)["tokenization"][0];
  auto [status, body] = server_->post("/tokenize", nlohmann::json{{"prompt", first["text"]}, {"return_token_strs", true}});
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["tokens"], first["ids"]);
  EXPECT_EQ(body["token_strs"], first["tokens"]);
}

// The special tokens of the fixture's tokenizer_config.json, as strings.
TEST_F(ServerTokenizerRoutes, TokenizerInfoHasTheSpecialTokensAndNoTemplateWhereTheFolderHasNone) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  auto [status, info] = server_->get("/tokenizer_info");
  ASSERT_EQ(status, 200) << info.dump();
  EXPECT_EQ(info["eos_token"], "<|endoftext|>");
  EXPECT_EQ(info["bos_token"], "<|endoftext|>");
  EXPECT_TRUE(info["pad_token"].is_null());
  EXPECT_EQ(info["tokenizer_class"], "GPT2Tokenizer");
  EXPECT_EQ(info["model_max_length"], 128);
  EXPECT_FALSE(info.contains("chat_template"));
  EXPECT_FALSE(info.contains("added_tokens_decoder"));
}

TEST_F(ServerTokenizerRoutes, BadRequestsAreOneErrorNamingTheFieldAndTheServerGoesOn) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto expect_400 = [](const std::string& path, const nlohmann::json& body, const std::string& field) {
    auto [status, answer] = server_->post(path, body);
    EXPECT_EQ(status, 400) << body.dump();
    EXPECT_NE(answer["error"]["message"].get<std::string>().find("'" + field + "'"), std::string::npos) << answer.dump();
  };
  expect_400("/detokenize", {{"tokens", {1, 50257}}}, "tokens[1]");
  expect_400("/detokenize", {{"tokens", {1, -2}}}, "tokens[1]");
  expect_400("/detokenize", {{"tokens", "1 2"}}, "tokens");
  expect_400("/detokenize", nlohmann::json::object(), "tokens");
  expect_400("/tokenize", nlohmann::json::object(), "prompt");
  expect_400("/tokenize", {{"prompt", 3}}, "prompt");
  expect_400("/tokenize", {{"prompt", "a"}, {"add_special_token", false}}, "add_special_token");
  expect_400("/tokenize", {{"messages", nlohmann::json::array()}}, "messages");
  auto [status, body] = server_->post("/tokenize", nlohmann::json{{"prompt", "Hello"}});
  EXPECT_EQ(status, 200) << body.dump();
}

// A copy of gpt2-tiny whose tokenizer files carry a chat template, served on its own.
class ServerTokenizerInfoTemplates : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(fixtures_dir() / "gpt2-tiny")) return;
    dir_ = std::filesystem::temp_directory_path() / ("tokprob-template-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const auto& entry : std::filesystem::directory_iterator(fixtures_dir() / "gpt2-tiny"))
      std::filesystem::create_symlink(std::filesystem::absolute(entry.path()), dir_ / entry.path().filename());
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::remove(dir_ / name);
    std::ofstream(dir_ / name) << text;
  }
  nlohmann::json info() {
    RunningServer server(dir_.string());  // an absolute path: fixtures_dir() / it is itself
    auto [status, body] = server.get("/tokenizer_info");
    EXPECT_EQ(status, 200) << body.dump();
    return body;
  }
  std::filesystem::path dir_;
};

TEST_F(ServerTokenizerInfoTemplates, TheRawTemplateComesFromTokenizerConfigOrChatTemplateJinja) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  nlohmann::json config = load_json(fixtures_dir() / "gpt2-tiny" / "tokenizer_config.json");
  const std::string in_config = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
  config["chat_template"] = in_config;
  write("tokenizer_config.json", config.dump(2));
  EXPECT_EQ(info()["chat_template"], in_config);

  config["chat_template"] = nlohmann::json::array({{{"name", "tool_use"}, {"template", "tools"}},
                                                   {{"name", "default"}, {"template", in_config}}});
  write("tokenizer_config.json", config.dump(2));
  EXPECT_EQ(info()["chat_template"], in_config);

  // chat_template.jinja wins, as in transformers; its bytes come back as they are.
  const std::string in_file = "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content | trim }}{% endfor %}\n";
  write("chat_template.jinja", in_file);
  EXPECT_EQ(info()["chat_template"], in_file);
}

// /tokenize of a conversation in vLLM's chat shape: the prompt is the template's rendering; the
// rendered texts below are transformers' apply_chat_template's for this template and conversation.
TEST_F(ServerTokenizerInfoTemplates, TokenizeRendersMessagesThroughTheChatTemplate) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  write("chat_template.jinja",
        "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools here') }}{% endif %}"
        "<|{{ m.role }}|>{% if m.content is string %}{{ m.content | trim }}{% else %}{% for p in m.content %}"
        "{{ p.text }}{% endfor %}{% endif %}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
  RunningServer server(dir_.string());
  const Tokenizer tok = Tokenizer::from_folder(dir_);
  const nlohmann::json messages = {{{"role", "system"}, {"content", "Be brief."}},
                                   {{"role", "user"}, {"content", "Hello"}},
                                   {{"role", "assistant"}, {"content", "Hi there "}}};
  const std::string turns = "<|system|>Be brief.<|end|><|user|>Hello<|end|>";
  const auto expect_tokens = [&](const nlohmann::json& request, const std::string& rendered, bool add_special) {
    auto [status, body] = server.post("/tokenize", request);
    ASSERT_EQ(status, 200) << request.dump() << " -> " << body.dump();
    const auto ids = tok.encode(rendered, add_special).ids;
    EXPECT_EQ(body["tokens"], ids) << request.dump();
    EXPECT_EQ(body["count"], ids.size());
  };
  expect_tokens({{"messages", messages}}, turns + "<|assistant|>Hi there<|end|><|assistant|>", false);
  expect_tokens({{"messages", messages}, {"add_generation_prompt", false}}, turns + "<|assistant|>Hi there<|end|>", false);
  expect_tokens({{"messages", messages}, {"add_generation_prompt", false}, {"add_special_tokens", true}},
                turns + "<|assistant|>Hi there<|end|>", true);
  // The template trims the final message, so the open text ends at its trimmed end.
  expect_tokens({{"model", "m"}, {"messages", messages}, {"add_generation_prompt", false}, {"continue_final_message", true}},
                turns + "<|assistant|>Hi there", false);
  nlohmann::json parts = messages;
  parts[2]["content"] = {{{"type", "text"}, {"text", "Hi "}}, {{"type", "text"}, {"text", "there"}}};
  expect_tokens({{"messages", parts}, {"add_generation_prompt", false}, {"continue_final_message", true}},
                turns + "<|assistant|>Hi there", false);

  const auto expect_400 = [&](const nlohmann::json& request, const std::string& field) {
    auto [status, body] = server.post("/tokenize", request);
    EXPECT_EQ(status, 400) << request.dump();
    EXPECT_NE(body["error"]["message"].get<std::string>().find("'" + field + "'"), std::string::npos) << body.dump();
  };
  expect_400({{"messages", messages}, {"continue_final_message", true}}, "continue_final_message");
  expect_400({{"messages", messages}, {"prompt", "x"}}, "prompt");
  expect_400({{"messages", {{{"role", "tool"}, {"content", "x"}}}}}, "messages");
  expect_400({{"messages", {{{"content", "x"}}}}}, "messages[0].role");
  expect_400({{"messages", {{{"role", "user"}}}}, {"add_generation_prompt", false}, {"continue_final_message", true}},
             "messages[0].content");
  nlohmann::json image = parts;
  image[2]["content"][1] = {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/a.png"}}}};
  expect_400({{"messages", image}}, "messages[2].content[1].type");
  expect_400({{"messages", messages}, {"chat_template_kwargs", 1}}, "chat_template_kwargs");
  expect_400({{"messages", messages}, {"add_generation_prompt", "yes"}}, "add_generation_prompt");
  expect_tokens({{"prompt", "Hello"}}, "Hello", true);
}

}  // namespace
}  // namespace tokprob::testing
