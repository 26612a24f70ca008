#include "chat/content_parts.hpp"

#include "tokprob/error.hpp"

namespace tokprob {

void check_text_parts(const nlohmann::ordered_json& parts, size_t message_index) {
  const std::string content = "messages[" + std::to_string(message_index) + "].content";
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part = content + "[" + std::to_string(j) + "]";
    const auto& p = parts[j];
    if (!p.is_object()) option_error(part, "must be a content part object ({\"type\": \"text\", \"text\": ...})");
    auto type = p.find("type");
    if (type == p.end() || !type->is_string()) option_error(part + ".type", "must be \"text\"");
    if (*type != "text")
      option_error(part + ".type", "must be \"text\" (not \"" + type->get<std::string>() + "\"): tokprob reads text content only");
    auto text = p.find("text");
    if (text == p.end() || !text->is_string()) option_error(part + ".text", "must be a string");
  }
}

std::string joined_text(const nlohmann::ordered_json& parts) {
  std::string out;
  for (size_t j = 0; j < parts.size(); ++j) {
    if (j > 0) out += '\n';
    out += parts[j].at("text").get_ref<const std::string&>();
  }
  return out;
}

}  // namespace tokprob
