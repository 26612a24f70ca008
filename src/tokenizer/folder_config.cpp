// tokenizer_config.json / special_tokens_map.json: the special-token roles and the decode
// settings that `transformers` keeps outside tokenizer.json.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tokenizer/pipeline.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

// Deepest nesting of arrays and objects in JSON text (brackets inside strings do not count).
size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file.string() + ": cannot open file");
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  if (!ec && bytes > kMaxTokenizerFileBytes)
    fail(file.string() + ": " + std::to_string(bytes) + " bytes is more than the " +
         std::to_string(kMaxTokenizerFileBytes >> 20) + " MiB a tokenizer file may have");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  // Real files nest a handful of levels; a Sequence inside a Sequence inside ... would make
  // the stages' builders (and copies of the JSON) recurse without bound.
  if (json_nesting_depth(text) > kMaxTokenizerJsonDepth)
    fail(file.string() + ": JSON nested deeper than " + std::to_string(kMaxTokenizerJsonDepth) +
         " levels (a Sequence of Sequences of ...?)");
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
  if (config.is_object() && config.contains("clean_up_tokenization_spaces") &&
      config["clean_up_tokenization_spaces"].is_boolean())
    impl.clean_up_tokenization_spaces = config["clean_up_tokenization_spaces"].get<bool>();
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
