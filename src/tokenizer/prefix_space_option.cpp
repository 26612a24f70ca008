#include "tokenizer/prefix_space_option.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tokenizer/json_fields.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 12> kByteLevelClasses = {
    "GPT2Tokenizer",      "GPTNeoXTokenizer",   "RobertaTokenizer", "Qwen2Tokenizer",
    "CodeGenTokenizer",   "DebertaTokenizer",   "WhisperTokenizer", "BlenderbotTokenizer",
    "CohereTokenizer",    "LukeTokenizer",      "MarkupLMTokenizer", "LayoutLMv3Tokenizer"};

// The class name without the "Fast" of transformers 4's fast classes (aliases of the same class in 5).
std::string tokenizer_class(const json& config) {
  std::string cls = config.is_object() ? json_string(config, "tokenizer_class", "") : "";
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  return cls;
}

// Applies `edit` to the pre-tokenizer stage of `type`, at the top or inside a Sequence.
template <class Edit>
void for_each_stage(json& stage, const char* list_key, const char* type, const Edit& edit) {
  if (!stage.is_object()) return;
  if (json_string(stage, "type", "") == type) edit(stage);
  auto list = stage.find(list_key);
  if (list != stage.end() && list->is_array())
    for (auto& inner : *list) for_each_stage(inner, list_key, type, edit);
}

// transformers' LlamaTokenizer builds its normalizer, pre-tokenizer and decoder from the flag
// (keeping tokenizer.json's BPE model): no normalizer, a Metaspace pre-tokenizer that does not
// split, and a decoder that strips the space it prepended only when it prepends one.
void rebuild_llama_stages(json& tokenizer, const char* prepend_scheme, bool strip_leading_space) {
  tokenizer["normalizer"] = nullptr;
  tokenizer["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", prepend_scheme}, {"split", false}};
  json decoders = json::array({{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                               {{"type", "ByteFallback"}},
                               {{"type", "Fuse"}}});
  if (strip_leading_space) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  tokenizer["decoder"] = {{"type", "Sequence"}, {"decoders", std::move(decoders)}};
}

}  // namespace

void apply_add_prefix_space(json& tokenizer, const json& config, bool value) {
  if (!tokenizer.is_object()) return;
  const std::string cls = tokenizer_class(config);
  for (std::string_view byte_level : kByteLevelClasses)
    if (cls == byte_level) {
      if (auto pre = tokenizer.find("pre_tokenizer"); pre != tokenizer.end())
        for_each_stage(*pre, "pretokenizers", "ByteLevel", [&](json& b) { b["add_prefix_space"] = value; });
      return;
    }
  if (cls == "LlamaTokenizer" || cls == "CodeLlamaTokenizer") {
    // transformers: "always" for a legacy Llama tokenizer, else "first" (CodeLlama is never legacy).
    const bool legacy = cls == "LlamaTokenizer" && json_bool(config, "legacy", false);
    rebuild_llama_stages(tokenizer, value ? (legacy ? "always" : "first") : "never", value);
  }
}

}  // namespace tokprob::tok
