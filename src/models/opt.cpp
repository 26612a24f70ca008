#include "models/opt.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/attention.hpp"
#include "models/blocks/embedding_table.hpp"
#include "models/blocks/feed_forward.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/decoder.hpp"
#include "models/head_size.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// OPTLearnedPositionalEmbedding keeps two rows before the first position (fairseq's padding rows).
constexpr int64_t kPositionOffset = 2;

struct OptLayer {
  const float *attn_ln_g, *attn_ln_b, *ffn_ln_g, *ffn_ln_b;
  SelfAttentionWeights attn;
  SelfAttentionOptions attn_opt;
  FeedForwardWeights ffn;
};

class Opt final : public DecoderLayers {
 public:
  Opt(const Config& config, Weights weights, const ModelLoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t n_layers = config.get_size("num_hidden_layers"), vocab = config.get_size("vocab_size");
    const int64_t F = config.get_size("ffn_dim"), positions = config.get_size("max_position_embeddings");
    // OPTConfig turns a null word_embed_proj_dim into hidden_size.
    const int64_t P = config.get_size("word_embed_proj_dim", C);
    C_ = C;
    P_ = P;
    pre_norm_ = config.get_bool("do_layer_norm_before", true);
    const bool final_norm = pre_norm_ && !config.get_bool("_remove_final_layer_norm", false);
    const bool bias = config.get_bool("enable_bias", true);
    const bool affine = config.get_bool("layer_norm_elementwise_affine", true);
    const Activation act = parse_activation(config.get_string("activation_function", "relu"),
                                            file + " activation_function");
    const int64_t D = even_head_size(file, C, H);

    spec.info = read_decoder_info(config, vocab, positions);
    spec.max_positions_key = "max_position_embeddings";
    spec.hidden = C;
    spec.layers = n_layers;
    spec.kv_dim = C;
    spec.head_in = P;

    // Checkpoints converted from metaseq name the decoder without the model. prefix.
    const std::string prefix = weights_.has("model.decoder.embed_tokens.weight") ? "model.decoder." : "decoder.";
    const bool tied = config.get_bool("tie_word_embeddings", true);
    const std::string embed_name =
        weights_.has(prefix + "embed_tokens.weight") || !tied || !weights_.has("lm_head.weight")
            ? prefix + "embed_tokens.weight"
            : "lm_head.weight";
    embed_ = EmbeddingTable(weights_, embed_name, vocab, P);
    positions_ = EmbeddingTable(weights_, prefix + "embed_positions.weight", positions + kPositionOffset, C);
    spec.head =
        read_linear(weights_, packer_, {tied ? embed_name : "lm_head.weight", "", P, vocab, false, "lm_head.weight"});
    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool with_bias) {
      return read_linear(weights_, packer_, {name + ".weight", with_bias ? name + ".bias" : "", in, out, false, ""});
    };
    if (P != C) {
      project_in_ = lin(prefix + "project_in", P, C, false);
      project_out_ = lin(prefix + "project_out", C, P, false);
    }
    // Without elementwise affine the LayerNorms have no parameters: a unit scale is exact.
    ones_.assign(C, 1.0f);
    auto norm = [&](const std::string& name, const float*& g, const float*& b) {
      g = affine ? w(name + ".weight", {C}) : ones_.data();
      b = affine ? w(name + ".bias", {C}) : nullptr;
    };
    final_g_ = nullptr;
    final_b_ = nullptr;
    if (final_norm) norm(prefix + "final_layer_norm", final_g_, final_b_);

    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = prefix + "layers." + std::to_string(l) + ".";
      OptLayer L{};
      norm(p + "self_attn_layer_norm", L.attn_ln_g, L.attn_ln_b);
      norm(p + "final_layer_norm", L.ffn_ln_g, L.ffn_ln_b);
      L.attn.q = lin(p + "self_attn.q_proj", C, C, bias);
      L.attn.k = lin(p + "self_attn.k_proj", C, C, bias);
      L.attn.v = lin(p + "self_attn.v_proj", C, C, bias);
      L.attn.o = lin(p + "self_attn.out_proj", C, C, bias);
      L.attn_opt.shape = AttentionShape{H, H, D, 1.0f / std::sqrt(static_cast<float>(D)), true};
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.up = lin(p + "fc1", C, F, bias);
      L.ffn.down = lin(p + "fc2", F, C, bias);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- project_in(embed_tokens[id]) + embed_positions[position + 2]
  void embed(const DecoderRows& rows, float* x) const override {
    const int64_t T = rows.count();
    if (P_ == C_) {
      for (int64_t r = 0; r < T; ++r) embed_.copy_row(rows.id(r), x + r * C_);
    } else {
      std::vector<float> words(T * P_);
      for (int64_t r = 0; r < T; ++r) embed_.copy_row(rows.id(r), &words[r * P_]);
      linear(words.data(), T, project_in_, x);
    }
    for (int64_t r = 0; r < T; ++r) positions_.add_row(rows.position(r) + kPositionOffset, x + r * C_);
  }

  // do_layer_norm_before: x += attn(ln1(x)); x += ffn(ln2(x))
  // otherwise:            x = ln1(x + attn(x)); x = ln2(x + ffn(x))
  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    const OptLayer& L = layers_[l];
    const int64_t T = rows.count(), n = T * C_;
    std::vector<float> h(n);
    if (pre_norm_) {
      layer_norm(x, T, C_, L.attn_ln_g, L.attn_ln_b, kEps, h.data());
    } else {
      std::copy_n(x, n, h.data());
    }
    self_attention_block(l, rows, L.attn, L.attn_opt, h.data(), x);
    if (!pre_norm_) layer_norm(x, T, C_, L.attn_ln_g, L.attn_ln_b, kEps, x);
    if (pre_norm_) {
      layer_norm(x, T, C_, L.ffn_ln_g, L.ffn_ln_b, kEps, h.data());
    } else {
      std::copy_n(x, n, h.data());
    }
    feed_forward_block(L.ffn, h.data(), T, x);
    if (!pre_norm_) layer_norm(x, T, C_, L.ffn_ln_g, L.ffn_ln_b, kEps, x);
  }

  void final_norm(float* x, int64_t rows) const override {
    if (final_g_) layer_norm(x, rows, C_, final_g_, final_b_, kEps, x);
  }

  void project_out(const float* x, int64_t rows, float* out) const override { linear(x, rows, project_out_, out); }

 private:
  static constexpr float kEps = 1e-5f;  // nn.LayerNorm's default; OPTConfig has no key for it

  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  Weights weights_;
  LinearPacker packer_;
  int64_t C_, P_;
  bool pre_norm_;
  EmbeddingTable embed_, positions_;
  LinearWeights project_in_, project_out_;
  std::vector<float> ones_;
  const float *final_g_, *final_b_;
  std::vector<OptLayer> layers_;
};

}  // namespace

std::unique_ptr<CausalLM> load_opt(const Config& config, Weights weights, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Opt>(config, std::move(weights), options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
