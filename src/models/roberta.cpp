#include "models/roberta.hpp"

#include "models/bert.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_roberta(const Config& config, Weights weights, EncoderHead head,
                                           const ModelLoadOptions& options) {
  const std::string file = config.file().string();
  PostLnEncoderSpec s;
  const std::string p = weights.has("roberta.embeddings.word_embeddings.weight") ? "roberta." : "";
  LinearPacker packer(options.weights, options.packed_cache);
  const EncoderTensors r{weights, packer};
  read_bert_backbone(config, r, p, head, s);
  const int64_t V = s.info.vocab_size;
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
    // lm_head.bias is the decoder's bias (saved again as lm_head.decoder.bias by some versions).
    const std::string bias = weights.has("lm_head.bias") ? "lm_head.bias" : "lm_head.decoder.bias";
    // RobertaLMHead calls gelu whatever hidden_act says.
    s.mlm = read_mlm_head(config, r, s, {"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder.weight", bias},
                          Activation::gelu_erf, s.eps);
  } else {
    // RobertaClassificationHead, on <s>: the backbone has no pooler.
    s.classifier =
        read_classifier_head(config, r, s.hidden, "classifier.dense", Activation::tanh, "classifier.out_proj", I);
  }
  return make_post_ln_encoder(std::move(s), std::move(weights), std::move(packer));
}

}  // namespace tokprob
