// --chat, --system, --messages and score --reply: a conversation rendered by the model folder's
// chat template. The template here writes "<|role|>content" per message, so the expected prompt is
// known without the engine, and each chat command must equal the plain command on that prompt
// tokenized without special tokens (--no-special-tokens), as apply_chat_template(tokenize=True) does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTemplate =
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}";

// The test's model folders, removed when the test program ends.
struct TempFolders {
  std::vector<fs::path> made;
  ~TempFolders() {
    std::error_code ignored;
    for (const auto& dir : made) fs::remove_all(dir, ignored);
  }
};
TempFolders temp_folders;

// llama-tiny's files (linked) plus a chat_template.jinja.
fs::path chat_model(const std::string& name, const std::string& chat_template) {
  const fs::path dir = fs::temp_directory_path() / ("tokprob_chat_" + std::to_string(::getpid()) + "_" + name);
  temp_folders.made.push_back(dir);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(fixtures_dir() / "llama-tiny"))
    fs::create_symlink(fs::absolute(entry.path()), dir / entry.path().filename());
  std::ofstream(dir / "chat_template.jinja") << chat_template;
  return dir;
}

CommandResult run_ok(const std::vector<std::string>& args) {
  auto r = run_tokprob(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r;
}

TEST(ChatCommand, NextAndGenerateRenderTheConversation) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const std::string m = chat_model("next", kTemplate).string();
  const std::string prompt = "<|system|>Be brief.<|user|>Hello there<|assistant|>";
  const auto plain = run_ok({"next", "-m", m, "--format", "json", "--no-special-tokens", prompt});
  const auto chat = run_ok({"next", "-m", m, "--format", "json", "--system", "Be brief.", "--chat", "Hello there"});
  EXPECT_EQ(json_lines(chat.out), json_lines(plain.out));

  const fs::path messages = fs::path(m) / "conversation.json";
  std::ofstream(messages) << R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}])";
  const auto from_file = run_ok({"next", "-m", m, "--format", "json", "--messages", messages.string()});
  EXPECT_EQ(json_lines(from_file.out), json_lines(plain.out));

  const auto gen_plain = run_ok({"generate", "-m", m, "--format", "json", "--max-new-tokens", "3", "--no-special-tokens", prompt});
  const auto gen_chat = run_ok({"generate", "-m", m, "--format", "json", "--max-new-tokens", "3", "--system", "Be brief.",
                                "Hello there"});
  EXPECT_EQ(json_lines(gen_chat.out).at(0)["sequences"], json_lines(gen_plain.out).at(0)["sequences"]);
  EXPECT_EQ(json_lines(gen_chat.out).at(0)["input_ids"], json_lines(gen_plain.out).at(0)["input_ids"]);
}

TEST(ChatCommand, ScoreReplyScoresOnlyTheReplysTokens) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const std::string m = chat_model("score", kTemplate).string();
  const auto reply = run_ok({"score", "-m", m, "--format", "json", "--reply", "I am fine, thanks", "How are you?"});
  const auto full = run_ok({"score", "-m", m, "--format", "json", "--no-special-tokens",
                            "<|user|>How are you?<|assistant|>I am fine, thanks"});
  const auto prompt = run_ok({"tokenize", "-m", m, "--format", "json", "--no-special-tokens",
                              "<|user|>How are you?<|assistant|>"});
  const auto r = json_lines(reply.out).at(0), f = json_lines(full.out).at(0);
  const size_t prompt_tokens = json_lines(prompt.out).at(0)["ids"].size();
  ASSERT_EQ(r["tokens"].size(), f["tokens"].size() - prompt_tokens);
  double total = 0;
  for (size_t i = 0; i < r["tokens"].size(); ++i) {
    EXPECT_EQ(r["tokens"][i], f["tokens"][prompt_tokens + i]);
    total += f["tokens"][prompt_tokens + i]["logprob"].get<double>();
  }
  EXPECT_NEAR(r["total_logprob"].get<double>(), total, 1e-9);
  EXPECT_EQ(r["text"], "I am fine, thanks");
}

// A --messages file in OpenAI's shape, content as a list of parts: this template prints content as
// a string, so it gets the texts joined with "\n"; a part other than text is refused by name.
TEST(ChatCommand, MessagesWithTextContentPartsAreReadAsTheirTexts) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const std::string m = chat_model("parts", kTemplate).string();
  const fs::path messages = fs::path(m) / "parts.json";
  std::ofstream(messages) << R"({"messages": [{"role": "system", "content": [{"type": "text", "text": "Be"},)"
                          << R"( {"type": "text", "text": "brief."}]}]})";
  const auto plain = run_ok({"next", "-m", m, "--format", "json", "--no-special-tokens",
                             "<|system|>Be\nbrief.<|user|>Hello there<|assistant|>"});
  const auto chat = run_ok({"next", "-m", m, "--format", "json", "--messages", messages.string(), "Hello there"});
  EXPECT_EQ(json_lines(chat.out), json_lines(plain.out));

  const fs::path image = fs::path(m) / "image.json";
  std::ofstream(image) << R"([{"role": "user", "content": "Hi"}, {"role": "user", "content": [)"
                       << R"({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}])";
  auto r = run_tokprob({"next", "-m", m, "--system", "S", "--messages", image.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tokprob: --messages: " + image.string() +
                       ": messages[1].content[0].type must be \"text\" (not \"image_url\"): tokprob reads text content only\n");
}

TEST(ChatCommand, BadInputIsOneClearError) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const std::string refusing =
      chat_model("refuse", "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
                           "{% endif %}{{ messages[0].content }}").string();
  auto r = run_tokprob({"next", "-m", refusing, "--system", "S", "Hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "tokprob: chat template raised an exception: System role not supported\n");

  const std::string broken = chat_model("broken", "{% for m in messages %}{{ m.content | nosuchfilter }}{% endfor %}").string();
  r = run_tokprob({"next", "-m", broken, "--chat", "Hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown filter 'nosuchfilter'"), std::string::npos) << r.err;

  r = run_tokprob({"next", "-m", (fixtures_dir() / "llama-tiny").string(), "--chat", "Hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no chat template"), std::string::npos) << r.err;

  r = run_tokprob({"next", "-m", chat_model("usage", kTemplate).string(), "--chat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give TEXT (one or more) or --messages FILE"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tokprob::testing
