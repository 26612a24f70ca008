#include "models/phi3.hpp"

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

// Phi-3's configs name longrope "su" or "yarn" (the reference renames both); the shared reader
// takes them once renamed.
Config phi3_rope_config(const Config& config) {
  nlohmann::json j = config.json();
  for (const char* obj : {"rope_scaling", "rope_parameters"}) {
    if (!j.contains(obj) || !j[obj].is_object()) continue;
    for (const char* key : {"rope_type", "type"})
      if (j[obj].contains(key) && (j[obj][key] == "su" || j[obj][key] == "yarn")) j[obj][key] = "longrope";
    if (j[obj].value("rope_type", j[obj].value("type", "default")) != "default" &&
        j[obj].value("rope_type", j[obj].value("type", "default")) != "longrope")
      fail(config.file().string() + ": Phi-3 takes default or longrope rope scaling only");
  }
  return Config(std::move(j), config.file());
}

class Phi3 final : public DecoderLayers {
 public:
  Phi3(const Config& config, Weights weights, const ModelLoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t KVH = config.get_size("num_key_value_heads", H), n_layers = config.get_size("num_hidden_layers");
    const int64_t F = config.get_size("intermediate_size"), vocab = config.get_size("vocab_size");
    C_ = C;
    eps_ = static_cast<float>(config.get_nonnegative("rms_norm_eps", 1e-5));
    const Activation act = parse_activation(config.get_string("hidden_act", "silu"), file + " hidden_act");
    const int64_t D = config.has("head_dim") ? config.get_size("head_dim") : even_head_size(file, C, H);
    if (H % KVH != 0)
      fail(file + ": num_attention_heads (" + std::to_string(H) + ") is not a multiple of num_key_value_heads (" +
           std::to_string(KVH) + ")");
    try {
      rope_ = std::make_unique<Rope>(read_rope_params(phi3_rope_config(config), D));
    } catch (const Error& e) {
      fail(file + ": " + e.what());
    }
    spec.info = read_decoder_info(config, vocab, rope_->params().max_positions);
    spec.max_positions_key = "max_position_embeddings";
    spec.hidden = C;
    spec.layers = n_layers;
    spec.kv_dim = KVH * D;
    spec.ropes = {rope_.get()};
    if (rope_->params().scaling == RopeScaling::longrope) spec.recompute_cache_past = rope_->params().original_max_positions;
    const int64_t window = config.has("sliding_window") ? config.get_size("sliding_window") : 0;

    const bool tied = config.get_bool("tie_word_embeddings", false);
    const std::string embed_name = weights_.has("model.embed_tokens.weight") || !tied || !weights_.has("lm_head.weight")
                                       ? "model.embed_tokens.weight"
                                       : "lm_head.weight";
    embed_ = w(embed_name, {vocab, C});
    spec.head =
        read_linear(weights_, packer_, {tied ? embed_name : "lm_head.weight", "", C, vocab, false, "lm_head.weight"});
    final_norm_ = w("model.norm.weight", {C});

    auto lin = [&](const std::string& name, int64_t in, int64_t out) {
      return read_linear(weights_, packer_, {name + ".weight", "", in, out, false, ""});
    };
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      PreNormLayer L{};
      L.attn_norm = {NormKind::rms_norm, w(p + "input_layernorm.weight", {C}), nullptr, eps_};
      L.ffn_norm = {NormKind::rms_norm, w(p + "post_attention_layernorm.weight", {C}), nullptr, eps_};
      L.attn.fused = true;
      L.attn.qkv = lin(p + "self_attn.qkv_proj", C, H * D + 2 * KVH * D);
      L.attn.o = lin(p + "self_attn.o_proj", H * D, C);
      L.attn_opt.shape = AttentionShape{H, KVH, D, 1.0f / std::sqrt(static_cast<float>(D)), true, window};
      L.attn_opt.rope = 0;
      L.ffn.gated = true;
      L.ffn.fused_gate_up = true;
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.gate = lin(p + "mlp.gate_up_proj", C, 2 * F);
      L.ffn.down = lin(p + "mlp.down_proj", F, C);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- embed_tokens[id]
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r)
      std::memcpy(&x[r * C_], embed_ + static_cast<int64_t>(rows.id(r)) * C_, C_ * sizeof(float));
  }

  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    pre_norm_layer(l, rows, layers_[l], C_, x);
  }

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

}  // namespace

std::unique_ptr<CausalLM> load_phi3(const Config& config, Weights weights, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Phi3>(config, std::move(weights), options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
