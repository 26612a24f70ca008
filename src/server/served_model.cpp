#include "server/served_model.hpp"

#include "models/registry.hpp"

namespace tokprob {

std::vector<std::string> ServedModel::endpoints() const {
  std::vector<std::string> out;
  if (causal_lm) out.insert(out.end(), {"/v1/completions", "/v1/next"});
  return out;
}

ServedModel load_served_model(const std::filesystem::path& dir, int64_t max_batch) {
  const Config config = read_model_config(dir);
  ServedModel m;
  m.name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (m.name.empty()) m.name = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  std::shared_ptr<const CausalLM> model = load_causal_lm(dir, config);
  m.kind = "causal-lm";
  m.model_type = model->info().model_type;
  m.max_positions = model->info().max_positions;
  m.causal_lm = std::make_shared<BatchingCausalLM>(std::move(model), max_batch);
  m.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_folder(dir));
  return m;
}

}  // namespace tokprob
