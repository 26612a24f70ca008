#include "tokprob/chat_template.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/content_parts.hpp"
#include "chat/jinja_content_loops.hpp"
#include "chat/jinja_parser.hpp"
#include "chat/jinja_renderer.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

using json = nlohmann::ordered_json;

struct ChatTemplate::Impl {
  std::string source;
  jinja::Template parsed;
  bool reads_content_parts = false;
  std::vector<std::pair<std::string, std::string>> special_tokens;
};

namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json read_json_object(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return json::object();
  json j = json::parse(read_text(file), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(file.string() + ": not a JSON object");
  return j;
}

// tokenizer_config.json's "chat_template": a string, or [{"name": ..., "template": ...}, ...].
std::optional<std::string> config_template(const json& config, const std::filesystem::path& file) {
  auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const json& entry : *it) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string())
        return entry["template"].get<std::string>();
    }
    fail(file.string() + ": chat_template lists named templates but none named \"default\"");
  }
  fail(file.string() + ": chat_template must be a string or a list of named templates");
}

// The special tokens transformers' special_tokens_map hands the template: every "*_token" entry
// of tokenizer_config.json and special_tokens_map.json (the latter wins, as in from_pretrained),
// as its string.
std::vector<std::pair<std::string, std::string>> folder_special_tokens(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> tokens;
  auto take = [&](const json& source) {
    for (const auto& [key, value] : source.items()) {
      if (key.size() < 6 || key.compare(key.size() - 6, 6, "_token") != 0) continue;
      std::optional<std::string> text;
      if (value.is_string()) text = value.get<std::string>();
      else if (value.is_object() && value.contains("content") && value["content"].is_string())
        text = value["content"].get<std::string>();
      if (!text) continue;
      bool replaced = false;
      for (auto& entry : tokens)
        if (entry.first == key) entry.second = *text, replaced = true;
      if (!replaced) tokens.emplace_back(key, *text);
    }
  };
  take(read_json_object(dir / "tokenizer_config.json"));
  take(read_json_object(dir / "special_tokens_map.json"));
  return tokens;
}

jinja::Value to_value(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return jinja::Value::none();
    case json::value_t::boolean: return jinja::Value(j.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return jinja::Value(j.get<int64_t>());
    case json::value_t::number_float: return jinja::Value(j.get<double>());
    case json::value_t::string: return jinja::Value(j.get<std::string>());
    case json::value_t::array: {
      jinja::ValueList items;
      for (const json& item : j) items.push_back(to_value(item));
      return items;
    }
    case json::value_t::object: {
      jinja::ValueDict d;
      for (const auto& [k, v] : j.items()) d.set(k, to_value(v));
      return d;
    }
    default: return jinja::Value::none();
  }
}

// transformers copies a message's reasoning to both names templates read ("thinking" first,
// "reasoning_content" last) when it comes under any of them.
jinja::Value alias_reasoning(jinja::Value message) {
  const jinja::ValueDict& d = message.dict();
  const jinja::Value* reasoning = nullptr;
  for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
    const jinja::Value* v = d.find(key);
    if (v && !v->is_none()) {
      reasoning = v;
      break;
    }
  }
  if (!reasoning) return message;
  jinja::ValueDict aliased;
  aliased.set("thinking", *reasoning);
  for (const auto& [k, v] : d.entries) aliased.set(k, v);
  aliased.set("reasoning_content", *reasoning);
  return aliased;
}

}  // namespace

bool ChatTemplate::folder_has_template(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "chat_template.jinja")) return true;
  json config = read_json_object(dir / "tokenizer_config.json");
  return config.contains("chat_template") && !config["chat_template"].is_null();
}

ChatTemplate ChatTemplate::from_folder(const std::filesystem::path& dir) {
  std::optional<std::string> source;
  if (std::filesystem::exists(dir / "chat_template.jinja")) {
    source = read_text(dir / "chat_template.jinja");
  } else {
    source = config_template(read_json_object(dir / "tokenizer_config.json"), dir / "tokenizer_config.json");
  }
  if (!source) fail(dir.string() + " has no chat template (neither chat_template.jinja nor a chat_template in tokenizer_config.json)");
  return ChatTemplate(*source, folder_special_tokens(dir));
}

ChatTemplate::ChatTemplate(std::string_view source, std::vector<std::pair<std::string, std::string>> special_tokens) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::string(source);
  impl->parsed = jinja::parse_template(source);
  jinja::check_template_names(impl->parsed);
  impl->reads_content_parts = jinja::loops_over_message_content(impl->parsed);
  impl->special_tokens = std::move(special_tokens);
  impl_ = std::move(impl);
}

const std::string& ChatTemplate::source() const { return impl_->source; }

std::string ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
  json list = json::array();
  for (const ChatMessage& m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
  return render_json(list.dump(), add_generation_prompt);
}

std::string ChatTemplate::render_json(std::string_view messages_json, bool add_generation_prompt,
                                      std::string_view variables_json) const {
  json messages = json::parse(messages_json, nullptr, false);
  if (messages.is_discarded()) fail("messages: not valid JSON");
  if (!messages.is_array()) fail("messages: must be a list of message objects");
  if (messages.empty()) fail("messages: the conversation is empty: give one message at least");
  jinja::ValueList chat;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!messages[i].is_object()) fail("messages[" + std::to_string(i) + "]: must be an object with role and content");
    // transformers drops a message's null fields (OpenAI clients send "content": null), which
    // templates handle as missing ones.
    json message = json::object();
    for (const auto& [key, value] : messages[i].items())
      if (!value.is_null()) message[key] = value;
    // OpenAI's content parts: text only, as a list to a template that loops over them, else as
    // one text, which is what a client of an OpenAI-compatible server expects (transformers
    // would hand the list to any template, which then writes it as a Python list or fails).
    if (message.contains("content") && message["content"].is_array()) {
      check_text_parts(message["content"], i);
      if (!impl_->reads_content_parts) message["content"] = joined_text(message["content"]);
    }
    chat.push_back(alias_reasoning(to_value(message)));
  }
  json extra = json::parse(variables_json, nullptr, false);
  if (extra.is_discarded() || !extra.is_object()) fail("chat template variables: must be a JSON object");

  jinja::Variables variables;
  for (const auto& [name, text] : impl_->special_tokens) variables[name] = jinja::Value(text);
  for (const auto& [name, value] : extra.items()) variables[name] = to_value(value);
  variables["messages"] = jinja::Value(std::move(chat));
  variables["tools"] = jinja::Value::none();
  variables["documents"] = jinja::Value::none();
  variables["add_generation_prompt"] = jinja::Value(add_generation_prompt);
  return jinja::render_template(impl_->parsed, variables);
}

std::vector<int32_t> encode_chat_prompt(const Tokenizer& tokenizer, std::string_view rendered) {
  return tokenizer.encode(rendered, /*add_special_tokens=*/false).ids;
}

}  // namespace tokprob
