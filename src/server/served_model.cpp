#include "server/served_model.hpp"

#include "io/generation_defaults.hpp"
#include "models/registry.hpp"

namespace tokprob {

std::vector<std::string> ServedModel::endpoints() const {
  std::vector<std::string> out;
  if (causal_lm) out.insert(out.end(), {"/v1/completions", "/v1/next", "/v1/generate", "/v1/score"});
  if (seq2seq) out.push_back("/v1/seq2seq");
  if (kind == "masked-lm") out.push_back("/v1/fill-mask");
  if (kind == "classifier") out.push_back("/v1/classify");
  return out;
}

ServedModel load_served_model(const std::filesystem::path& dir, int64_t max_batch, const LoadOptions& options) {
  const Config config = read_model_config(dir);
  ServedModel m;
  m.name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (m.name.empty()) m.name = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  // The kind the library decides (registry's model_kind: the head the architecture names).
  const ModelKind kind = options.kind ? *options.kind : model_kind(config);
  m.kind = model_kind_name(kind);
  switch (kind) {
    case ModelKind::sequence_classifier:
    case ModelKind::masked_lm:
      m.encoder = kind == ModelKind::masked_lm ? load_masked_lm(dir, config, options)
                                               : load_sequence_classifier(dir, config, options);
      m.model_type = m.encoder->info().model_type;
      m.max_positions = m.encoder->info().max_positions;
      break;
    case ModelKind::seq2seq_lm:
      m.seq2seq = load_seq2seq_lm(dir, config, options);
      m.model_type = m.seq2seq->info().model_type;
      m.max_positions = m.seq2seq->info().max_positions;
      break;
    case ModelKind::causal_lm: {
      std::shared_ptr<const CausalLM> model = load_causal_lm(dir, config, options);
      m.model_type = model->info().model_type;
      m.max_positions = model->info().max_positions;
      m.causal_lm = std::make_shared<BatchingCausalLM>(std::move(model), max_batch);
      break;
    }
  }
  m.dtype = weight_format_name(options.weights);
  m.eos_token_ids = read_eos_token_ids(dir);
  m.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_folder(dir, options.tokenizer));
  return m;
}

}  // namespace tokprob
