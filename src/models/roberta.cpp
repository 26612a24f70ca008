#include "models/roberta.hpp"

#include <tuple>

#include "models/bert.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_roberta(const Config& config, Weights weights, EncoderHead head,
                                           const LoadOptions& options) {
  const std::string file = config.file().string();
  PostLnEncoderSpec s;
  const std::string p = weights.has("roberta.embeddings.word_embeddings.weight") ? "roberta." : "";
  LinearPacker packer(options.weights);
  const EncoderTensors r{weights, packer};
  read_bert_backbone(config, r, p, head, s);
  const int64_t C = s.hidden, V = s.info.vocab_size;
  EncoderInfo& I = s.info;

  // Positions count from padding_idx + 1 (create_position_ids_from_input_ids), so the table's
  // first padding_idx + 1 rows are never a real token's: 514 rows give 512 positions.
  const int64_t pad = config.get_int("pad_token_id", 1);
  if (pad < 0 || pad + 1 >= I.max_positions)
    fail(file + ": pad_token_id " + std::to_string(pad) + " leaves no positions in max_position_embeddings (" +
         std::to_string(I.max_positions) + ")");
  if (pad >= V) fail(file + ": pad_token_id " + std::to_string(pad) + " is outside the vocabulary");
  s.position_padding_idx = static_cast<int32_t>(pad);
  I.pad_token_id = static_cast<int32_t>(pad);
  I.max_positions -= pad + 1;

  if (head == EncoderHead::masked_lm) {
    require_head_tensors(weights, config, "masked-LM", {"lm_head.dense.weight", "lm_head.layer_norm.weight"});
    const bool tied = config.get_bool("tie_word_embeddings", true);
    if (!tied) require_head_tensors(weights, config, "masked-LM", {"lm_head.decoder.weight"});
    // lm_head.bias is the decoder's bias (saved again as lm_head.decoder.bias by some versions).
    const std::string bias = weights.has("lm_head.bias") ? "lm_head.bias" : "lm_head.decoder.bias";
    require_head_tensors(weights, config, "masked-LM", {bias});
    MlmHeadWeights m;
    m.transform = r.linear("lm_head.dense", C, C);
    m.act = Activation::gelu_erf;  // RobertaLMHead calls gelu whatever hidden_act says
    std::tie(m.norm_g, m.norm_b) = r.norm("lm_head.layer_norm", C);
    m.eps = s.eps;
    m.decoder = packer.pack(
        {tied ? s.word_embeddings : r.w("lm_head.decoder.weight", {V, C}), r.w(bias, {V}), C, V, false},
        "lm_head.decoder.weight");
    s.mlm = m;
  } else {
    // RobertaClassificationHead: on <s>, dense -> tanh -> out_proj; the backbone has no pooler.
    require_head_tensors(weights, config, "sequence-classification",
                         {"classifier.dense.weight", "classifier.out_proj.weight"});
    I.labels = read_labels(config);
    I.problem_type = config.get_string("problem_type", "");
    ClassifierHeadWeights c;
    c.dense = r.linear("classifier.dense", C, C);
    c.act = Activation::tanh;
    c.out = r.linear("classifier.out_proj", C, static_cast<int64_t>(I.labels.size()));
    s.classifier = c;
  }
  return make_post_ln_encoder(std::move(s), std::move(weights), std::move(packer));
}

}  // namespace tokprob
