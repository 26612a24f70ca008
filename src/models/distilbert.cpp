#include "models/distilbert.hpp"

#include <tuple>

#include "models/encoder_info_config.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_distilbert(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options) {
  const std::string file = config.file().string();
  PostLnEncoderSpec s;
  const int64_t C = s.hidden = config.get_size("dim");
  s.heads = config.get_size("n_heads");
  s.inner = config.get_size("hidden_dim");
  const int64_t n_layers = config.get_size("n_layers");
  s.eps = 1e-12f;  // fixed in DistilBERT's modules; its config has no key for it
  s.act = parse_activation(config.get_string("activation", "gelu"), file + " activation");
  if (C % s.heads != 0)
    fail(file + ": dim (" + std::to_string(C) + ") is not a multiple of n_heads (" + std::to_string(s.heads) + ")");

  EncoderInfo& I = s.info = encoder_info_from_config(config, head);
  const int64_t V = I.vocab_size;
  I.max_positions = config.get_size("max_position_embeddings");
  I.type_vocab_size = 0;
  if (config.has("pad_token_id")) I.pad_token_id = static_cast<int32_t>(config.get_int("pad_token_id"));

  const std::string p = weights.has("distilbert.embeddings.word_embeddings.weight") ? "distilbert." : "";
  LinearPacker packer(options.weights, options.packed_cache);
  const EncoderTensors r{weights, packer};
  s.word_embeddings_name = p + "embeddings.word_embeddings.weight";
  s.word_embeddings = r.w(s.word_embeddings_name, {V, C});
  // sinusoidal_pos_embds only changes how the table was initialised: it is saved like a learned one.
  s.position_embeddings = r.w(p + "embeddings.position_embeddings.weight", {I.max_positions, C});
  std::tie(s.embed_norm_g, s.embed_norm_b) = r.norm(p + "embeddings.LayerNorm", C);
  for (int64_t l = 0; l < n_layers; ++l) {
    const std::string q = p + "transformer.layer." + std::to_string(l) + ".";
    PostLnLayer L;
    L.query = r.linear(q + "attention.q_lin", C, C);
    L.key = r.linear(q + "attention.k_lin", C, C);
    L.value = r.linear(q + "attention.v_lin", C, C);
    L.attn_out = r.linear(q + "attention.out_lin", C, C);
    std::tie(L.attn_norm_g, L.attn_norm_b) = r.norm(q + "sa_layer_norm", C);
    L.ffn_in = r.linear(q + "ffn.lin1", C, s.inner);
    L.ffn_out = r.linear(q + "ffn.lin2", s.inner, C);
    std::tie(L.ffn_norm_g, L.ffn_norm_b) = r.norm(q + "output_layer_norm", C);
    s.layers.push_back(L);
  }

  if (head == EncoderHead::masked_lm) {
    // eps fixed in DistilBERT's modules, as in its layers.
    s.mlm = read_mlm_head(config, r, s, {"vocab_transform", "vocab_layer_norm", "vocab_projector.weight", "vocab_projector.bias"},
                          s.act, 1e-12f);
  } else {
    s.classifier = read_classifier_head(config, r, C, "pre_classifier", Activation::relu, "classifier", I);
  }
  return make_post_ln_encoder(std::move(s), std::move(weights), std::move(packer));
}

}  // namespace tokprob
