#include "models/bert.hpp"

#include <tuple>

#include "models/encoder_info_config.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

void read_bert_backbone(const Config& config, const EncoderTensors& r, const std::string& p, EncoderHead head,
                        PostLnEncoderSpec& s) {
  const std::string file = config.file().string();
  const int64_t C = s.hidden = config.get_size("hidden_size");
  s.heads = config.get_size("num_attention_heads");
  s.inner = config.get_size("intermediate_size");
  const int64_t n_layers = config.get_size("num_hidden_layers");
  s.eps = static_cast<float>(config.get_nonnegative("layer_norm_eps", 1e-12));
  s.act = parse_activation(config.get_string("hidden_act", "gelu"), file + " hidden_act");
  if (C % s.heads != 0)
    fail(file + ": hidden_size (" + std::to_string(C) + ") is not a multiple of num_attention_heads (" +
         std::to_string(s.heads) + ")");
  if (const auto pet = config.get_string("position_embedding_type", "absolute"); pet != "absolute")
    fail(file + ": position_embedding_type '" + pet + "' is not supported (only 'absolute')");
  if (config.get_bool("is_decoder", false))
    fail(file + ": is_decoder is true (a causal model); only the bidirectional encoder is supported");

  EncoderInfo& I = s.info = encoder_info_from_config(config, head);
  const int64_t V = I.vocab_size;
  I.max_positions = config.get_size("max_position_embeddings");
  I.type_vocab_size = config.get_size("type_vocab_size", 2);
  if (config.has("pad_token_id")) I.pad_token_id = static_cast<int32_t>(config.get_int("pad_token_id"));

  s.word_embeddings_name = p + "embeddings.word_embeddings.weight";
  s.word_embeddings = r.w(s.word_embeddings_name, {V, C});
  s.position_embeddings = r.w(p + "embeddings.position_embeddings.weight", {I.max_positions, C});
  s.type_embeddings = r.w(p + "embeddings.token_type_embeddings.weight", {I.type_vocab_size, C});
  std::tie(s.embed_norm_g, s.embed_norm_b) = r.norm(p + "embeddings.LayerNorm", C);
  for (int64_t l = 0; l < n_layers; ++l) {
    const std::string q = p + "encoder.layer." + std::to_string(l) + ".";
    PostLnLayer L;
    L.query = r.linear(q + "attention.self.query", C, C);
    L.key = r.linear(q + "attention.self.key", C, C);
    L.value = r.linear(q + "attention.self.value", C, C);
    L.attn_out = r.linear(q + "attention.output.dense", C, C);
    std::tie(L.attn_norm_g, L.attn_norm_b) = r.norm(q + "attention.output.LayerNorm", C);
    L.ffn_in = r.linear(q + "intermediate.dense", C, s.inner);
    L.ffn_out = r.linear(q + "output.dense", s.inner, C);
    std::tie(L.ffn_norm_g, L.ffn_norm_b) = r.norm(q + "output.LayerNorm", C);
    s.layers.push_back(L);
  }
}

std::unique_ptr<EncoderModel> load_bert(const Config& config, Weights weights, EncoderHead head,
                                        const ModelLoadOptions& options) {
  PostLnEncoderSpec s;
  // Heads saved with BertFor* carry the "bert." prefix; a bare BertModel has none.
  const std::string p = weights.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  LinearPacker packer(options.weights, options.packed_cache);
  const EncoderTensors r{weights, packer};
  read_bert_backbone(config, r, p, head, s);
  if (head == EncoderHead::masked_lm) {
    // Older saves hold the decoder bias as cls.predictions.bias, newer ones as decoder.bias too.
    const std::string bias =
        weights.has("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias";
    s.mlm = read_mlm_head(config, r, s,
                          {"cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
                           "cls.predictions.decoder.weight", bias},
                          s.act, s.eps);
  } else {
    s.classifier = read_classifier_head(config, r, s.hidden, p + "pooler.dense", Activation::tanh, "classifier", s.info);
  }
  return make_post_ln_encoder(std::move(s), std::move(weights), std::move(packer));
}

}  // namespace tokprob
