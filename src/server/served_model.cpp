#include "server/served_model.hpp"

#include "api/model_impl.hpp"

namespace tokprob {

std::vector<std::string> ServedModel::endpoints() const {
  std::vector<std::string> out;
  if (causal_lm)
    out.insert(out.end(), {"/v1/completions", "/v1/chat/completions", "/v1/next", "/v1/generate", "/v1/score"});
  if (model.serves(Task::seq2seq)) out.push_back("/v1/seq2seq");
  if (model.serves(Task::fill_mask)) out.push_back("/v1/fill-mask");
  if (model.serves(Task::classify)) out.push_back("/v1/classify");
  out.insert(out.end(), {"/tokenize", "/detokenize"});  // every served model has a tokenizer
  return out;
}

std::string served_model_name(const std::filesystem::path& dir) {
  std::string name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  return name;
}

ServedModel load_served_model(const std::filesystem::path& dir, int64_t max_batch, const LoadOptions& options) {
  ServedModel m{served_model_name(dir), load_folder(dir, options), nullptr};
  m.model.tokenizer();  // throws naming the folder when it has none
  if (m.model.kind() == ModelKind::causal_lm)
    m.causal_lm = std::make_shared<BatchingCausalLM>(m.model.impl().causal, max_batch);
  return m;
}

}  // namespace tokprob
