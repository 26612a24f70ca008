// A request's conversation (OpenAI's "messages") checked and rendered by the served model's chat
// template, for /v1/chat/completions and /tokenize: what the template cannot take is the request's
// fault, a 400 naming the field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/routes.hpp"

namespace tokprob {

// body["messages"] as the template gets them (JSON text); what is not a non-empty list of objects
// with a string role and a string, list or null content is refused naming the message.
std::string checked_messages(const nlohmann::json& body);

// The prompt of the conversation, as apply_chat_template(messages, add_generation_prompt=...,
// continue_final_message=..., tokenize=False, **variables) renders it; a model without a template
// is refused naming it.
struct ChatRendering {
  bool add_generation_prompt = true;
  bool continue_final_message = false;  // the text ends with the last message's content, open
  std::string variables_json = "{}";    // chat_template_kwargs
};
std::string render_conversation(const ServerContext& ctx, const std::string& messages_json, const ChatRendering& how);

}  // namespace tokprob
