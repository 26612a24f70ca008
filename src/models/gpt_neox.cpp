#include "models/gpt_neox.hpp"

#include <cmath>
#include <cstring>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/pre_norm_layer.hpp"
#include "models/blocks/rope_config.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/decoder.hpp"
#include "models/head_size.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// GPT-NeoX names its rope settings rotary_emb_base and rotary_pct (a quarter of each head by
// default); the shared reader takes them once spelled as the other families do.
Config neox_rope_config(const Config& config) {
  nlohmann::json j = config.json();
  const bool in_object = j.contains("rope_parameters") && j["rope_parameters"].is_object();
  if (!config.has("rope_theta") && config.has("rotary_emb_base") &&
      !(in_object && j["rope_parameters"].contains("rope_theta")))
    j["rope_theta"] = j["rotary_emb_base"];
  if (!config.first_present({"partial_rotary_factor", "rotary_pct"}) &&
      !(in_object && j["rope_parameters"].contains("partial_rotary_factor")))
    j["partial_rotary_factor"] = 0.25;
  return Config(std::move(j), config.file());
}

class GptNeoX final : public DecoderLayers {
 public:
  GptNeoX(const Config& config, Weights weights, const ModelLoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t n_layers = config.get_size("num_hidden_layers"), vocab = config.get_size("vocab_size");
    const int64_t F = config.get_size("intermediate_size");
    C_ = C;
    eps_ = static_cast<float>(config.get_nonnegative("layer_norm_eps", 1e-5));
    const Activation act = parse_activation(config.get_string("hidden_act", "gelu"), file + " hidden_act");
    const int64_t D = even_head_size(file, C, H);
    try {
      rope_ = std::make_unique<Rope>(read_rope_params(neox_rope_config(config), D));
    } catch (const Error& e) {
      fail(file + ": " + e.what());
    }
    spec.info = read_decoder_info(config, vocab,
                                  rope_->params().scaling == RopeScaling::dynamic ? 0 : rope_->params().max_positions);
    spec.max_positions_key = "max_position_embeddings";
    spec.hidden = C;
    spec.layers = n_layers;
    spec.kv_dim = C;
    spec.ropes = {rope_.get()};

    const bool parallel = config.get_bool("use_parallel_residual", true);
    const bool attn_bias = config.get_bool("attention_bias", true);
    embed_ = w("gpt_neox.embed_in.weight", {vocab, C});
    // Pythia's head is embed_out; transformers 5 renames it lm_head when it loads (and saves).
    const bool tied = config.get_bool("tie_word_embeddings", false);
    const std::string head = tied                                ? "gpt_neox.embed_in.weight"
                             : weights_.has("embed_out.weight") ? "embed_out.weight"
                                                                : "lm_head.weight";
    spec.head = read_linear(weights_, packer_, {head, "", C, vocab, false, "lm_head.weight"});
    final_g_ = w("gpt_neox.final_layer_norm.weight", {C});
    final_b_ = w("gpt_neox.final_layer_norm.bias", {C});

    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
      return read_linear(weights_, packer_, {name + ".weight", bias ? name + ".bias" : "", in, out, false, ""});
    };
    auto norm = [&](const std::string& name) {
      return Norm{NormKind::layer_norm, w(name + ".weight", {C}), w(name + ".bias", {C}), eps_};
    };
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
      PreNormLayer L{};
      L.attn_norm = norm(p + "input_layernorm");
      L.ffn_norm = norm(p + "post_attention_layernorm");
      L.parallel_residual = parallel;
      L.attn.fused = true;
      L.attn.fused_per_head = true;
      L.attn.qkv = lin(p + "attention.query_key_value", C, 3 * C, attn_bias);
      L.attn.o = lin(p + "attention.dense", C, C, attn_bias);
      L.attn_opt.shape = AttentionShape{H, H, D, 1.0f / std::sqrt(static_cast<float>(D)), true};
      L.attn_opt.rope = 0;
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.up = lin(p + "mlp.dense_h_to_4h", C, F, true);
      L.ffn.down = lin(p + "mlp.dense_4h_to_h", F, C, true);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- embed_in[id]
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r)
      std::memcpy(&x[r * C_], embed_ + static_cast<int64_t>(rows.id(r)) * C_, C_ * sizeof(float));
  }

  // parallel: x += attn(ln1(x)) + mlp(ln2(x)); otherwise x += attn(ln1(x)); x += mlp(ln2(x))
  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    pre_norm_layer(l, rows, layers_[l], C_, x);
  }

  void final_norm(float* x, int64_t rows) const override { layer_norm(x, rows, C_, final_g_, final_b_, eps_, x); }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  Weights weights_;
  LinearPacker packer_;
  int64_t C_;
  float eps_;
  std::unique_ptr<Rope> rope_;
  const float *embed_, *final_g_, *final_b_;
  std::vector<PreNormLayer> layers_;
};

}  // namespace

std::unique_ptr<CausalLM> load_gpt_neox(const Config& config, Weights weights, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<GptNeoX>(config, std::move(weights), options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
