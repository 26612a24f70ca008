#include "models/gemma.hpp"

#include <cmath>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/pre_norm_layer.hpp"
#include "models/blocks/rope_config.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

enum class Family { gemma, gemma2, gemma3 };

// Gemma 3's rope settings of one layer type as a config whose rope_parameters holds them alone, from
// either spelling: 5.x's per-type rope_parameters, or rope_theta (+ rope_scaling) for the full layers
// and rope_local_base_freq for the sliding ones.
Config gemma3_rope_config(const Config& config, const std::string& layer_type) {
  nlohmann::json j = config.json();
  nlohmann::json params = nlohmann::json::object();
  const bool nested = j.contains("rope_parameters") && j["rope_parameters"].is_object() &&
                      (j["rope_parameters"].contains("full_attention") || j["rope_parameters"].contains("sliding_attention"));
  if (nested && j["rope_parameters"].contains(layer_type) && j["rope_parameters"][layer_type].is_object())
    params = j["rope_parameters"][layer_type];
  if (layer_type == "full_attention" && j.contains("rope_scaling") && j["rope_scaling"].is_object())
    params.update(j["rope_scaling"]);
  if (!params.contains("rope_theta")) {
    const bool full = layer_type == "full_attention";
    const char* key = full ? "rope_theta" : "rope_local_base_freq";
    params["rope_theta"] = config.has(key) ? j[key] : nlohmann::json(full ? 1'000'000.0 : 10'000.0);
  }
  if (!params.contains("rope_type") && !params.contains("type")) params["rope_type"] = "default";
  for (const char* key : {"rope_scaling", "rope_theta", "rope_parameters", "partial_rotary_factor"}) j.erase(key);
  j["rope_parameters"] = params;
  return Config(std::move(j), config.file());
}

class Gemma final : public DecoderLayers {
 public:
  Gemma(const Config& config, Weights weights, Family family, const ModelLoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t KVH = config.get_size("num_key_value_heads", H), n_layers = config.get_size("num_hidden_layers");
    const int64_t F = config.get_size("intermediate_size"), vocab = config.get_size("vocab_size");
    const int64_t D = config.get_size("head_dim", 256);  // the config class's default, not C / H
    C_ = C;
    eps_ = static_cast<float>(config.get_nonnegative("rms_norm_eps", 1e-6));
    // The reference sets it to run the model as an encoder; tokprob computes causal LMs only.
    refuse_unless(config, "use_bidirectional_attention", false);
    // Gemma 1 reads hidden_act, where "gelu" stands for the tanh approximation; 2 and 3 read
    // hidden_activation.
    std::string act_name = family == Family::gemma ? config.get_string("hidden_act", "gelu_pytorch_tanh")
                                                   : config.get_string("hidden_activation", "gelu_pytorch_tanh");
    if (family == Family::gemma && act_name == "gelu") act_name = "gelu_pytorch_tanh";
    const Activation act = parse_activation(act_name, file + (family == Family::gemma ? " hidden_act" : " hidden_activation"));
    if (H % KVH != 0)
      fail(file + ": num_attention_heads (" + std::to_string(H) + ") is not a multiple of num_key_value_heads (" +
           std::to_string(KVH) + ")");

    // Gemma 3 rotates its full and sliding layers with ropes of their own.
    std::vector<int64_t> windows(n_layers, 0);
    int64_t window = 0;
    if (family != Family::gemma) {
      if (config.json().contains("sliding_window") && config.json()["sliding_window"].is_null())
        fail(file + ": sliding_window null is not supported for " + config.model_type());
      window = config.get_size("sliding_window", 4096);  // the config class's default
      const int64_t pattern = family == Family::gemma2 ? 2 : config.get_size("sliding_window_pattern", 6);
      for (int64_t l = 0; l < n_layers; ++l) windows[l] = (l + 1) % pattern ? window : 0;
      windows = read_layer_windows(config, n_layers, std::move(windows), window);
    }
    try {
      if (family == Family::gemma3) {
        ropes_.push_back(std::make_unique<Rope>(read_rope_params(gemma3_rope_config(config, "full_attention"), D)));
        ropes_.push_back(std::make_unique<Rope>(read_rope_params(gemma3_rope_config(config, "sliding_attention"), D)));
      } else {
        ropes_.push_back(std::make_unique<Rope>(read_rope_params(config, D)));
      }
    } catch (const Error& e) {
      fail(file + ": " + e.what());
    }
    for (auto& rope : ropes_) {
      if (rope->params().rotary_dim != D) fail(file + ": partial_rotary_factor below 1 is not supported for Gemma");
      spec.ropes.push_back(rope.get());
    }
    const bool dynamic = ropes_[0]->params().scaling == RopeScaling::dynamic;
    spec.info = read_decoder_info(config, vocab, dynamic ? 0 : config.get_size("max_position_embeddings"));
    spec.max_positions_key = "max_position_embeddings";
    spec.hidden = C;
    spec.layers = n_layers;
    spec.kv_dim = KVH * D;
    // Gemma 2 caps by default (30 and 50) and null turns a cap off; Gemma 3 has none by default and
    // reads attn_logit_softcapping without ever passing it to its attention.
    auto softcap = [&](const char* key, double gemma2_default) {
      if (family == Family::gemma2 && !config.json().contains(key)) return static_cast<float>(gemma2_default);
      return config.has(key) ? static_cast<float>(config.get_positive(key, 0)) : 0.0f;
    };
    if (family != Family::gemma) spec.final_logit_softcap = softcap("final_logit_softcapping", 30.0);
    const float attn_softcap = family == Family::gemma2 ? softcap("attn_logit_softcapping", 50.0) : 0.0f;
    const float scale =
        family == Family::gemma ? 1.0f / std::sqrt(static_cast<float>(D))
                                : static_cast<float>(std::pow(config.get_positive("query_pre_attn_scalar", 256), -0.5));
    embed_scale_ = static_cast<float>(std::sqrt(static_cast<double>(C)));

    const bool bias = config.get_bool("attention_bias", false);
    const bool tied = config.get_bool("tie_word_embeddings", true);
    const std::string embed_name = weights_.has("model.embed_tokens.weight") || !tied || !weights_.has("lm_head.weight")
                                       ? "model.embed_tokens.weight"
                                       : "lm_head.weight";
    embed_ = weights_.f32(embed_name, {vocab, C});
    spec.head =
        read_linear(weights_, packer_, {tied ? embed_name : "lm_head.weight", "", C, vocab, false, "lm_head.weight"});
    final_norm_ = unit_offset(weights_.f32("model.norm.weight", {C}), C);

    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool b) {
      return read_linear(weights_, packer_, {name + ".weight", b ? name + ".bias" : "", in, out, false, ""});
    };
    auto norm = [&](const std::string& name, int64_t dim) {
      return Norm{NormKind::rms_norm_unit_offset, weights_.f32(name + ".weight", {dim}), nullptr, eps_};
    };
    const int64_t QD = H * D, KD = KVH * D;
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      PreNormLayer L{};
      L.attn_norm = norm(p + "input_layernorm", C);
      if (family == Family::gemma) {
        L.ffn_norm = norm(p + "post_attention_layernorm", C);
      } else {
        L.attn_post_norm = norm(p + "post_attention_layernorm", C);
        L.ffn_norm = norm(p + "pre_feedforward_layernorm", C);
        L.ffn_post_norm = norm(p + "post_feedforward_layernorm", C);
      }
      L.attn.q = lin(p + "self_attn.q_proj", C, QD, bias);
      L.attn.k = lin(p + "self_attn.k_proj", C, KD, bias);
      L.attn.v = lin(p + "self_attn.v_proj", C, KD, bias);
      L.attn.o = lin(p + "self_attn.o_proj", QD, C, bias);
      if (family == Family::gemma3) {
        L.attn.q_norm = unit_offset(weights_.f32(p + "self_attn.q_norm.weight", {D}), D);
        L.attn.k_norm = unit_offset(weights_.f32(p + "self_attn.k_norm.weight", {D}), D);
        L.attn.qk_norm_eps = eps_;
      }
      L.attn_opt.shape = AttentionShape{H, KVH, D, scale, true, windows[l], attn_softcap};
      L.attn_opt.rope = family == Family::gemma3 && windows[l] > 0 ? 1 : 0;
      L.ffn.gated = true;
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.gate = lin(p + "mlp.gate_proj", C, F, false);
      L.ffn.up = lin(p + "mlp.up_proj", C, F, false);
      L.ffn.down = lin(p + "mlp.down_proj", F, C, false);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- embed_tokens[id] * sqrt(C), the scale rounded to fp32 as the reference's buffer is
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r) {
      const float* e = embed_ + static_cast<int64_t>(rows.id(r)) * C_;
      for (int64_t c = 0; c < C_; ++c) x[r * C_ + c] = e[c] * embed_scale_;
    }
  }

  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    pre_norm_layer(l, rows, layers_[l], C_, x);
  }

  // x: [R, C] -> rms(x) * (1 + w)
  void final_norm(float* x, int64_t rows) const override { rms_norm(x, rows, C_, final_norm_, eps_, x); }

 private:
  // 1 + w in fp32, for the kernels that scale a normalised row by a weight: the same product the
  // reference's (normalised * (1 + w)) rounds.
  const float* unit_offset(const float* w, int64_t n) {
    auto& v = offsets_.emplace_back(w, w + n);
    for (float& f : v) f += 1.0f;
    return v.data();
  }

  Weights weights_;
  LinearPacker packer_;
  int64_t C_;
  float eps_, embed_scale_;
  std::vector<std::unique_ptr<Rope>> ropes_;
  std::vector<std::vector<float>> offsets_;  // growing moves the inner vectors, whose data() stays put
  const float *embed_, *final_norm_;
  std::vector<PreNormLayer> layers_;
};

std::unique_ptr<CausalLM> load(const Config& config, Weights weights, Family family, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Gemma>(config, std::move(weights), family, options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace

std::unique_ptr<CausalLM> load_gemma(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::gemma, options);
}
std::unique_ptr<CausalLM> load_gemma2(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::gemma2, options);
}
std::unique_ptr<CausalLM> load_gemma3_text(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::gemma3, options);
}

}  // namespace tokprob
