// The tokenizer of the served model over HTTP, in the shapes vLLM serves (/tokenize of a prompt or
// of a conversation, /detokenize, /tokenizer_info): clients such as lm-evaluation-harness's remote tokenizer then need no copy of
// the tokenizer files.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/chat_messages.hpp"
#include "server/request_fields.hpp"
#include "server/routes.hpp"
#include "tokenizer/pipeline.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

int64_t max_model_len(const ServerContext& ctx) {
  const int64_t positions = ctx.model->model.max_positions();
  return positions > 0 ? positions : prompt_token_limit(ctx);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The raw template as transformers reads it: chat_template.jinja wins over tokenizer_config.json's
// "chat_template", which is a string or a list of {"name", "template"} (the one named "default").
std::optional<std::string> chat_template(const std::filesystem::path& folder, const nlohmann::json& config) {
  if (std::filesystem::exists(folder / "chat_template.jinja")) return read_text(folder / "chat_template.jinja");
  const auto it = config.find("chat_template");
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array())
    for (const auto& named : *it)
      if (named.is_object() && named.value("name", "") == "default" && named.contains("template") &&
          named["template"].is_string())
        return named["template"].get<std::string>();
  return std::nullopt;
}

}  // namespace

// tokenizer_config.json as the tokenizer's settings, with the special tokens as the strings they
// are and the template, as vLLM answers /tokenizer_info (the files' paths and the table of added
// tokens left out).
nlohmann::json tokenizer_info_json(const ServerContext& ctx) {
  const std::filesystem::path folder = ctx.model->model.folder();
  const nlohmann::json config = tok::read_optional_json(folder / "tokenizer_config.json");
  nlohmann::json info = config.is_object() ? config : nlohmann::json::object();
  for (const char* dropped : {"added_tokens_decoder", "vocab_file", "merges_file", "tokenizer_file", "chat_template"})
    info.erase(dropped);
  // An AddedToken written as an object reads as its content.
  for (auto& [key, value] : info.items())
    if (value.is_object() && value.contains("content") && value["content"].is_string()) value = value["content"];
  const Tokenizer& tokenizer = ctx.model->tokenizer();
  const SpecialTokens& special = tokenizer.special_tokens();
  const auto set = [&](const char* key, const std::optional<int32_t>& id) {
    info[key] = id ? nlohmann::json(tokenizer.id_to_token(*id)) : nlohmann::json(nullptr);
  };
  set("bos_token", special.bos);
  set("eos_token", special.eos);
  set("unk_token", special.unk);
  set("pad_token", special.pad);
  if (!info.contains("tokenizer_class")) info["tokenizer_class"] = "PreTrainedTokenizerFast";
  info["model_max_length"] = max_model_len(ctx);
  if (const auto t = chat_template(folder, config)) info["chat_template"] = *t;
  return info;
}

void add_tokenizer_routes(JsonRoutes& routes, ServerContext ctx) {
  routes["/tokenize"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
    RequestFields f(body);
    std::string prompt;
    bool add_special_tokens = true;
    if (f.has("messages")) {
      // vLLM's chat form: the conversation rendered by the template, as its chat route would
      // prompt the model (the template writes the special tokens, so none are added by default).
      if (f.has("prompt")) usage_error("field 'prompt': give either 'prompt' or 'messages', not both");
      ChatRendering how;
      how.add_generation_prompt = f.boolean("add_generation_prompt", true);
      how.continue_final_message = f.boolean("continue_final_message", false);
      if (how.add_generation_prompt && how.continue_final_message)
        usage_error("field 'continue_final_message': cannot be true with 'add_generation_prompt' true");
      if (const auto kwargs = f.value("chat_template_kwargs")) {
        if (!kwargs->is_object()) usage_error("field 'chat_template_kwargs' must be an object");
        how.variables_json = kwargs->dump();
      }
      const std::string messages = checked_messages(body);
      f.ignore("messages");
      add_special_tokens = f.boolean("add_special_tokens", false);
      prompt = render_conversation(ctx, messages, how);
    } else {
      prompt = f.string("prompt");
      add_special_tokens = f.boolean("add_special_tokens", true);
    }
    const bool return_token_strs = f.boolean("return_token_strs", false);
    f.ignore("model");
    f.reject_unknown();
    const Encoding e = ctx.model->tokenizer().encode(prompt, add_special_tokens);
    nlohmann::json strs = nullptr;
    if (return_token_strs) {
      strs = nlohmann::json::array();
      for (int32_t id : e.ids) strs.push_back(ctx.model->tokenizer().id_to_token(id));
    }
    set_json(res, {{"count", e.ids.size()}, {"max_model_len", max_model_len(ctx)}, {"tokens", e.ids}, {"token_strs", strs}});
  };
  routes["/detokenize"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
    RequestFields f(body);
    const auto tokens = f.value("tokens");
    if (!tokens) usage_error("field 'tokens' is missing");
    const Tokenizer& tok = ctx.model->tokenizer();
    const std::vector<int32_t> ids = token_ids_from_json(*tokens, "tokens", static_cast<int64_t>(tok.vocab_size()));
    f.ignore("model");
    f.reject_unknown();
    set_json(res, {{"prompt", tok.decode(ids, /*skip_special_tokens=*/false)}});
  };
}

}  // namespace tokprob
