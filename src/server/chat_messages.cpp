#include "server/chat_messages.hpp"

#include "tokprob/chat_template.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// transformers marks where the final message ends by appending this to it before rendering, then
// cuts the rendered text there (apply_chat_template's continue_final_message).
constexpr std::string_view kContinueTag = "CONTINUE_FINAL_MESSAGE_TAG ";

std::string_view strip(std::string_view s) {
  constexpr std::string_view space = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

// A template that fails or refuses the conversation is the request's fault.
std::string render_or_refuse(const ChatTemplate& chat_template, const std::string& messages_json,
                             const ChatRendering& how) {
  try {
    return chat_template.render_json(messages_json, how.add_generation_prompt, how.variables_json);
  } catch (const OptionError& e) {
    usage_error("field '" + e.field() + "' " + e.requirement());
  } catch (const Error& e) {
    usage_error(std::string("field 'messages': ") + e.what());
  }
}

// The messages with the tag after the final message's text, and that text.
std::pair<nlohmann::json, std::string> tag_final_message(const std::string& messages_json) {
  nlohmann::json messages = nlohmann::json::parse(messages_json);
  nlohmann::json& last = messages.back();
  const std::string where = "field 'messages[" + std::to_string(messages.size() - 1) + "].content'";
  if (!last.contains("content") || last["content"].is_null())
    usage_error(where + " is needed to continue the final message");
  nlohmann::json& content = last["content"];
  if (content.is_string()) {
    std::string text = content.get<std::string>();
    content = text + std::string(kContinueTag);
    return {std::move(messages), std::move(text)};
  }
  for (auto part = content.rbegin(); part != content.rend(); ++part)
    if (part->is_object() && part->contains("text") && (*part)["text"].is_string()) {
      std::string text = (*part)["text"].get<std::string>();
      (*part)["text"] = text + std::string(kContinueTag);
      return {std::move(messages), std::move(text)};
    }
  usage_error(where + " has no text part to continue");
}

std::string render_continuing(const ChatTemplate& chat_template, const std::string& messages_json,
                              const ChatRendering& how) {
  if (chat_template.source().find("content") == std::string::npos)
    usage_error("field 'continue_final_message': the chat template reads no message 'content' to continue");
  const auto [tagged, final_text] = tag_final_message(messages_json);
  const std::string rendered = render_or_refuse(chat_template, tagged.dump(), how);
  const size_t at = rendered.rfind(strip(kContinueTag));
  if (rendered.find(strip(final_text)) == std::string::npos || at == std::string::npos)
    usage_error("field 'continue_final_message': the chat template drops part of the final message");
  if (rendered.compare(at, kContinueTag.size(), kContinueTag) == 0) return rendered.substr(0, at);
  // The template trimmed the message's end, so the text ends where the trimmed message does.
  const size_t end = rendered.find_last_not_of(" \t\n\r\f\v", at == 0 ? 0 : at - 1);
  return at == 0 || end == std::string::npos ? std::string() : rendered.substr(0, end + 1);
}

}  // namespace

std::string checked_messages(const nlohmann::json& body) {
  auto it = body.find("messages");
  if (it == body.end()) usage_error("field 'messages' is required");
  if (!it->is_array() || it->empty()) usage_error("field 'messages' must be a non-empty list of messages");
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& m = (*it)[i];
    const std::string where = "field 'messages[" + std::to_string(i) + "]";
    if (!m.is_object()) usage_error(where + "' must be an object with 'role' and 'content'");
    if (!m.contains("role") || !m["role"].is_string()) usage_error(where + ".role' must be a string");
    if (m.contains("content") && !m["content"].is_string() && !m["content"].is_array() && !m["content"].is_null())
      usage_error(where + ".content' must be a string, a list of content parts or null");
  }
  return it->dump();
}

std::string render_conversation(const ServerContext& ctx, const std::string& messages_json, const ChatRendering& how) {
  const auto& folder = ctx.model->model.folder();
  if (!ChatTemplate::folder_has_template(folder))
    usage_error("the model " + ctx.model->name + " has no chat template: use /v1/completions");
  const ChatTemplate chat_template = ChatTemplate::from_folder(folder);
  if (how.continue_final_message) return render_continuing(chat_template, messages_json, how);
  return render_or_refuse(chat_template, messages_json, how);
}

}  // namespace tokprob
