#include "chat_options.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/content_parts.hpp"
#include "tokprob/chat_template.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

void add_chat_options(CLI::App& sub, ChatOptions& options, CLI::Option* texts) {
  sub.add_flag("--chat", options.chat,
               "Take each TEXT as a user's message and render it with the model's chat template "
               "(tokenized without adding special tokens, as apply_chat_template does)");
  sub.add_option("--system", options.system, "A system message before the conversation (implies --chat)");
  sub.add_option("--messages", options.messages_file,
                 "A JSON file of messages ([{\"role\": ..., \"content\": ...}, ...] or {\"messages\": [...]}) "
                 "that start the conversation; each TEXT follows as a user's message (implies --chat)");
  texts->required(false);
}

bool chat_requested(const CLI::App& sub, const ChatOptions& options) {
  return options.chat || options.system || !sub.get_option("--messages")->empty();
}

void check_chat_usage(const CLI::App& sub, const ChatOptions& options, const std::vector<std::string>& texts) {
  const CLI::Option* input = sub.get_option("--input");
  if (input && !input->empty()) usage_error("--chat, --system and --messages do not combine with --input");
  if (texts.empty() && options.messages_file.empty()) usage_error("give TEXT (one or more) or --messages FILE");
}

namespace {

nlohmann::ordered_json file_messages(const std::string& file) {
  if (file.empty()) return nlohmann::ordered_json::array();
  std::ifstream in(file, std::ios::binary);
  if (!in) usage_error("--messages: cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) usage_error("--messages: " + file + " is not valid JSON");
  if (j.is_object() && j.contains("messages")) j = j["messages"];
  if (!j.is_array()) usage_error("--messages: " + file + " must hold a list of messages (or {\"messages\": [...]})");
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& m = j[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      usage_error("--messages: message " + std::to_string(i) + " of " + file + " needs a string 'role'");
    if (!m.contains("content")) usage_error("--messages: message " + std::to_string(i) + " of " + file + " has no 'content'");
    try {
      if (m["content"].is_array()) check_text_parts(m["content"], i);
    } catch (const OptionError& e) {
      usage_error("--messages: " + file + ": " + e.what());
    }
  }
  return j;
}

}  // namespace

std::vector<std::string> chat_conversations(const ChatOptions& options, const std::vector<std::string>& texts) {
  nlohmann::ordered_json start = nlohmann::ordered_json::array();
  if (options.system) start.push_back({{"role", "system"}, {"content", *options.system}});
  for (const auto& m : file_messages(options.messages_file)) start.push_back(m);
  std::vector<std::string> out;
  if (texts.empty()) out.push_back(start.dump());
  for (const auto& text : texts) {
    nlohmann::ordered_json conversation = start;
    conversation.push_back({{"role", "user"}, {"content", text}});
    out.push_back(conversation.dump());
  }
  return out;
}

std::vector<std::string> chat_prompts(const ChatOptions& options, const std::filesystem::path& dir,
                                      const std::vector<std::string>& texts, bool add_generation_prompt) {
  const ChatTemplate chat_template = ChatTemplate::from_folder(dir);
  std::vector<std::string> prompts;
  for (const auto& conversation : chat_conversations(options, texts))
    prompts.push_back(chat_template.render_json(conversation, add_generation_prompt));
  return prompts;
}

}  // namespace tokprob::cli
