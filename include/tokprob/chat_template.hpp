// Chat templates: a conversation rendered into the prompt text exactly as transformers'
// tokenizer.apply_chat_template renders it (the model's Jinja template, run by tokprob's own
// Jinja engine), and that text tokenized as apply_chat_template(tokenize=True) tokenizes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokprob/tokenizer.hpp"

namespace tokprob {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", ...
  std::string content;
};

class ChatTemplate {
 public:
  // The template of a model folder, found as transformers 5 finds it: chat_template.jinja when
  // present, else tokenizer_config.json's "chat_template" (a string, or a list of named templates
  // of which "default" is taken). The template sees the special tokens of tokenizer_config.json
  // and special_tokens_map.json (bos_token, eos_token, ...) as transformers passes them. Throws
  // tokprob::Error naming the folder when it has no template, or the line of a syntax error.
  static ChatTemplate from_folder(const std::filesystem::path& dir);
  static bool folder_has_template(const std::filesystem::path& dir);

  // A template from its source and the special tokens it sees ({"bos_token", "<s>"}, ...).
  ChatTemplate(std::string_view source, std::vector<std::pair<std::string, std::string>> special_tokens = {});

  const std::string& source() const;

  // apply_chat_template(messages, add_generation_prompt=..., tokenize=False). Throws
  // tokprob::Error when the template fails or refuses the conversation (raise_exception).
  std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
  // The same over messages given as JSON: an array of objects with any fields (tool_calls,
  // reasoning_content, ...), plus further template variables as a JSON object
  // (apply_chat_template's extra keyword arguments, e.g. {"enable_thinking": false}).
  // A content may be OpenAI's list of parts, [{"type": "text", "text": ...}, ...], read as an
  // OpenAI-compatible server (vLLM) reads it: text parts only (any other part is an OptionError
  // naming it, "messages[1].content[0].type"); a template that loops over a message's content
  // gets the list as given, any other template the texts joined with "\n" (where
  // apply_chat_template would give it the list, written as Python writes a list).
  std::string render_json(std::string_view messages_json, bool add_generation_prompt,
                          std::string_view variables_json = "{}") const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// apply_chat_template(tokenize=True): the rendered text encoded without adding special tokens
// again (the template writes the BOS itself where the family has one).
std::vector<int32_t> encode_chat_prompt(const Tokenizer& tokenizer, std::string_view rendered);

}  // namespace tokprob
