#include "models/llama.hpp"

#include <cmath>
#include <cstring>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/pre_norm_layer.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/blocks/rope_config.hpp"
#include "models/decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

enum class Family { llama, mistral, qwen2 };

// The sliding window of each layer (0: full attention). Mistral slides every layer; Qwen2 with
// use_sliding_window slides the layers from max_window_layers on; layer_types may say it per layer.
std::vector<int64_t> layer_windows(const Config& config, Family family, int64_t layers) {
  int64_t window = 0;
  if (config.has("sliding_window") &&
      (family == Family::mistral || (family == Family::qwen2 && config.get_bool("use_sliding_window", false))))
    window = config.get_size("sliding_window");
  std::vector<int64_t> windows(layers, window);
  if (family == Family::qwen2 && window > 0) {
    // 0 is valid: no layer keeps full attention (the reference slides them all).
    const int64_t full = config.get_int("max_window_layers", 28);
    if (full < 0)
      fail(config.file().string() + ": \"max_window_layers\" must be a non-negative integer, got " +
           std::to_string(full));
    for (int64_t l = 0; l < std::min(layers, full); ++l) windows[l] = 0;
  }
  return read_layer_windows(config, layers, std::move(windows), window);
}

class Llama final : public DecoderLayers {
 public:
  Llama(const Config& config, Weights weights, Family family, const LoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t KVH = config.get_size("num_key_value_heads", H), n_layers = config.get_size("num_hidden_layers");
    const int64_t F = config.get_size("intermediate_size"), vocab = config.get_size("vocab_size");
    C_ = C;
    eps_ = static_cast<float>(config.get_nonnegative("rms_norm_eps", 1e-6));
    const Activation act = parse_activation(config.get_string("hidden_act", "silu"), file + " hidden_act");
    int64_t D;
    if (config.has("head_dim")) {
      D = config.get_size("head_dim");
    } else {
      if (C % H != 0)
        fail(file + ": hidden_size (" + std::to_string(C) + ") is not a multiple of num_attention_heads (" +
             std::to_string(H) + ")");
      D = C / H;
    }
    if (D % 2 != 0) fail(file + ": head_dim " + std::to_string(D) + " is odd; rotary needs pairs");
    if (H % KVH != 0)
      fail(file + ": num_attention_heads (" + std::to_string(H) + ") is not a multiple of num_key_value_heads (" +
           std::to_string(KVH) + ")");
    RopeParams rope = read_rope_params(config, D);
    // Llama's default rope rotates whole heads whatever partial_rotary_factor says; its scaled
    // types would take the factor but then fail on the shapes, so a partial one is refused there.
    if (rope.scaling == RopeScaling::none) {
      rope.rotary_dim = D;
    } else if (rope.rotary_dim != D) {
      fail(file + ": partial_rotary_factor below 1 is not supported with rope scaling in the Llama family");
    }
    try {
      rope_ = std::make_unique<Rope>(std::move(rope));
    } catch (const Error& e) {
      fail(file + ": " + e.what());
    }
    const std::vector<int64_t> windows = layer_windows(config, family, n_layers);

    // Dynamic NTK scaling exists to run past max_position_embeddings (as the reference does).
    spec.info = read_decoder_info(config, vocab,
                                  rope_->params().scaling == RopeScaling::dynamic ? 0 : rope_->params().max_positions);
    spec.max_positions_key = "max_position_embeddings";
    spec.hidden = C;
    spec.layers = n_layers;
    spec.kv_dim = KVH * D;
    spec.ropes = {rope_.get()};

    // Llama's attention_bias covers q, k, v and o; Qwen2 always has q/k/v biases and none on o.
    const bool qkv_bias = family == Family::qwen2 || config.get_bool("attention_bias", false);
    const bool o_bias = family != Family::qwen2 && config.get_bool("attention_bias", false);
    const bool mlp_bias = config.get_bool("mlp_bias", false);
    const int64_t QD = H * D, KD = KVH * D;

    // With a tied head a checkpoint may keep either copy (TinyStories keeps only lm_head.weight).
    const bool tied = config.get_bool("tie_word_embeddings", false);  // the default of all three configs
    const std::string embed_name = weights_.has("model.embed_tokens.weight") || !tied || !weights_.has("lm_head.weight")
                                       ? "model.embed_tokens.weight"  // throws below naming it when missing
                                       : "lm_head.weight";
    embed_ = w(embed_name, {vocab, C});
    // Tied, the head packs the embedding's stored bytes; the embedding itself stays fp32.
    spec.head =
        read_linear(weights_, packer_, {tied ? embed_name : "lm_head.weight", "", C, vocab, false, "lm_head.weight"});
    final_norm_ = w("model.norm.weight", {C});

    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
      return read_linear(weights_, packer_, {name + ".weight", bias ? name + ".bias" : "", in, out, false, ""});
    };
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      PreNormLayer L{};
      L.attn_norm = {NormKind::rms_norm, w(p + "input_layernorm.weight", {C}), nullptr, eps_};
      L.ffn_norm = {NormKind::rms_norm, w(p + "post_attention_layernorm.weight", {C}), nullptr, eps_};
      L.attn.q = lin(p + "self_attn.q_proj", C, QD, qkv_bias);
      L.attn.k = lin(p + "self_attn.k_proj", C, KD, qkv_bias);
      L.attn.v = lin(p + "self_attn.v_proj", C, KD, qkv_bias);
      L.attn.o = lin(p + "self_attn.o_proj", QD, C, o_bias);
      L.attn_opt.shape = AttentionShape{H, KVH, D, 1.0f / std::sqrt(static_cast<float>(D)), true};
      L.attn_opt.shape.window = windows[l];
      L.attn_opt.rope = 0;
      L.ffn.gated = true;
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.gate = lin(p + "mlp.gate_proj", C, F, mlp_bias);
      L.ffn.up = lin(p + "mlp.up_proj", C, F, mlp_bias);
      L.ffn.down = lin(p + "mlp.down_proj", F, C, mlp_bias);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- embed_tokens[id]
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r)
      std::memcpy(&x[r * C_], embed_ + static_cast<int64_t>(rows.id(r)) * C_, C_ * sizeof(float));
  }

  // x: [T, C] -> [T, C]: x += attn(rms(x)); x += mlp(rms(x))
  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    pre_norm_layer(l, rows, layers_[l], C_, x);
  }

  // x: [R, C] -> norm(x)
  void final_norm(float* x, int64_t rows) const override { rms_norm(x, rows, C_, final_norm_, eps_, x); }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  Weights weights_;
  LinearPacker packer_;
  int64_t C_;
  float eps_;
  std::unique_ptr<Rope> rope_;
  const float *embed_, *final_norm_;
  std::vector<PreNormLayer> layers_;
};

std::unique_ptr<CausalLM> load(const Config& config, Weights weights, Family family, const LoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Llama>(config, std::move(weights), family, options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace

std::unique_ptr<CausalLM> load_llama(const Config& config, Weights weights, const LoadOptions& options) {
  return load(config, std::move(weights), Family::llama, options);
}
std::unique_ptr<CausalLM> load_mistral(const Config& config, Weights weights, const LoadOptions& options) {
  return load(config, std::move(weights), Family::mistral, options);
}
std::unique_ptr<CausalLM> load_qwen2(const Config& config, Weights weights, const LoadOptions& options) {
  return load(config, std::move(weights), Family::qwen2, options);
}

}  // namespace tokprob
