// Loading tokenizer.json (the `tokenizers` serialization) into the pipeline stages.
#include <nlohmann/json.hpp>

#include "tokenizer/json_fields.hpp"
#include "tokenizer/pipeline.hpp"
#include "tokenizer/prefix_space_option.hpp"
#include "tokenizer/tokenizer_cache.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
#include "tokenizer/vocab.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

std::unique_ptr<Pipeline> load_tokenizer_json_unguarded(const std::filesystem::path& file,
                                                        const TokenizerOptions& options) {
  const std::string where = file.string();
  if (options.cache_dir.empty())
    return load_tokenizer_document(read_tokenizer_json(read_file(where), where), where, file.parent_path(), options);
  if (auto cached = read_cached_tokenizer(options.cache_dir, file))
    return load_tokenizer_document(std::move(*cached), where, file.parent_path(), options);
  TokenizerJsonDocument doc = read_tokenizer_json(read_file(where), where);
  const nlohmann::json rest = doc.rest;  // as read: the options apply at every load
  auto pipeline = load_tokenizer_document(std::move(doc), where, file.parent_path(), options);
  write_cached_tokenizer(options.cache_dir, file, rest, *pipeline->model);
  return pipeline;
}

}  // namespace

std::unique_ptr<Pipeline> load_tokenizer_document(TokenizerJsonDocument doc, const std::string& where,
                                                  const std::filesystem::path& dir, const TokenizerOptions& options) {
  const json config = read_optional_json(dir / "tokenizer_config.json");
  if (options.add_prefix_space) apply_add_prefix_space(doc.rest, config, *options.add_prefix_space);
  const json& j = doc.rest;
  if (!j.is_object()) fail(where + ": not a tokenizer.json object");
  if (!j.contains("model")) fail(where + ": no \"model\" in tokenizer.json");
  auto impl = std::make_unique<Pipeline>();
  try {
    impl->normalizer = make_normalizer(j.value("normalizer", json()), where);
    impl->pre_tokenizer = make_pre_tokenizer(j.value("pre_tokenizer", json()), where);
    impl->model = make_model(j["model"], where, std::move(doc.tables));
    impl->bpe_model = impl->model->is_bpe();
    impl->post_processor = make_post_processor(j.value("post_processor", json()), where);
    impl->decoder = make_decoder(j.value("decoder", json()), where);
    for (const auto& a : j.value("added_tokens", json::array())) {
      if (!a.is_object() || !a.contains("id") || !a.contains("content")) fail(where + ": bad entry in added_tokens");
      // Checked before the conversion: get<int32_t>() of a float out of range is undefined behaviour.
      const json& id = a["id"];
      if (!id.is_number_unsigned() || id.get<uint64_t>() >= static_cast<uint64_t>(kMaxVocabId))
        fail(where + ": added_tokens id " + id.dump() + " is not an integer in [0, " + std::to_string(kMaxVocabId) + ")");
      AddedToken t;
      t.id = static_cast<int32_t>(id.get<uint64_t>());
      t.content = a["content"].get<std::string>();
      t.special = json_bool(a, "special", false);
      t.lstrip = json_bool(a, "lstrip", false);
      t.rstrip = json_bool(a, "rstrip", false);
      t.single_word = json_bool(a, "single_word", false);
      t.normalized = json_bool(a, "normalized", !t.special);
      impl->added.add(std::move(t));
    }
  } catch (const json::exception& e) {
    fail(where + ": unexpected tokenizer.json content (" + e.what() + ")");
  }
  impl->added.build(impl->normalizer.get());
  apply_folder_config(*impl, config, read_optional_json(dir / "special_tokens_map.json"));
  impl->add_special_tokens = options.add_special_tokens;
  return impl;
}

std::unique_ptr<Pipeline> load_tokenizer_json(const std::filesystem::path& file, const TokenizerOptions& options) {
  try {
    return load_tokenizer_json_unguarded(file, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // Whatever else a malformed file provokes (a number out of range, a bad allocation size)
    // still reaches the caller as one error naming the file.
    fail(file.string() + ": cannot load tokenizer (" + e.what() + ")");
  }
}

}  // namespace tokprob::tok
