// tokenizer_config.json / special_tokens_map.json: the special-token roles and the decode
// settings that `transformers` keeps outside tokenizer.json.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tokenizer/pipeline.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

json read_json_file(const std::filesystem::path& file) {
  const std::string text = read_file(file.string());  // size-limited
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    fail(file.string() + ": not valid JSON (" + e.what() + ")");
  }
}

json read_optional_json(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return nullptr;
  return read_json_file(file);
}

std::optional<std::string> token_content(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return std::nullopt;
}

void apply_folder_config(Pipeline& impl, const json& config, const json& special_tokens_map) {
  auto role = [&](const char* key) -> std::optional<int32_t> {
    for (const json* source : {&config, &special_tokens_map}) {
      if (!source->is_object() || !source->contains(key)) continue;
      if (auto content = token_content((*source)[key])) return impl.token_to_id(*content);
    }
    return std::nullopt;
  };
  impl.roles.bos = role("bos_token");
  impl.roles.eos = role("eos_token");
  impl.roles.unk = role("unk_token");
  impl.roles.pad = role("pad_token");
  impl.roles.mask = role("mask_token");
  impl.roles.cls = role("cls_token");
  impl.roles.sep = role("sep_token");
  auto flag = [&](const char* key) {
    return config.is_object() && config.contains(key) && config[key].is_boolean() && config[key].get<bool>();
  };
  impl.clean_up_tokenization_spaces =
      flag("clean_up_tokenization_spaces") &&
      (!impl.bpe_model || flag("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output"));
}

void add_config_added_tokens(AddedVocabulary& added, const json& config) {
  if (!config.is_object() || !config.contains("added_tokens_decoder")) return;
  for (const auto& [key, value] : config["added_tokens_decoder"].items()) {
    if (!value.is_object()) continue;
    AddedToken t;
    try {
      t.id = std::stoi(key);
    } catch (const std::exception&) {
      continue;
    }
    auto content = token_content(value);
    if (!content) continue;
    t.content = *content;
    // clang 14 cannot capture a structured binding in a lambda: capture a named reference.
    auto flag = [&entry = value](const char* k, bool fallback) {
      return entry.contains(k) && entry[k].is_boolean() ? entry[k].get<bool>() : fallback;
    };
    t.special = flag("special", false);
    t.lstrip = flag("lstrip", false);
    t.rstrip = flag("rstrip", false);
    t.single_word = flag("single_word", false);
    t.normalized = flag("normalized", !t.special);
    added.add(t);
  }
}

}  // namespace tokprob::tok
