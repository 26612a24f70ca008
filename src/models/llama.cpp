#include "models/llama.hpp"

#include <cmath>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/embedding_table.hpp"
#include "models/blocks/pre_norm_layer.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/blocks/rope_config.hpp"
#include "models/decoder.hpp"
#include "models/head_size.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

enum class Family { llama, mistral, qwen2, qwen3, olmo2, mixtral, qwen3_moe };

// The sliding window of each layer (0: full attention). Mistral slides every layer; Qwen2 with
// (and Qwen3) with use_sliding_window slide the layers from max_window_layers on; layer_types may say
// it per layer.
std::vector<int64_t> layer_windows(const Config& config, Family family, int64_t layers) {
  // The MoE families slide every layer or none (Mixtral as Mistral; Qwen3-MoE with
  // use_sliding_window), reading neither max_window_layers nor layer_types.
  if (family == Family::mixtral || family == Family::qwen3_moe) {
    const bool slides = family == Family::mixtral || config.get_bool("use_sliding_window", false);
    return std::vector<int64_t>(layers, slides && config.has("sliding_window") ? config.get_size("sliding_window") : 0);
  }
  const bool qwen = family == Family::qwen2 || family == Family::qwen3;
  int64_t window = 0;
  if (config.has("sliding_window") &&
      (family == Family::mistral || (qwen && config.get_bool("use_sliding_window", false))))
    window = config.get_size("sliding_window");
  std::vector<int64_t> windows(layers, window);
  if (qwen && window > 0) {
    // 0 is allowed: every layer slides.
    const int64_t full_layers = config.get_int("max_window_layers", 28);
    if (full_layers < 0) fail(config.file().string() + ": max_window_layers must not be negative");
    for (int64_t l = 0; l < std::min(layers, full_layers); ++l) windows[l] = 0;
  }
  return read_layer_windows(config, layers, std::move(windows), window);
}

// The experts of the MoE families; sparse is all false for the dense ones.
struct MoeSettings {
  std::vector<bool> sparse;  // per layer: a mixture of experts instead of the dense MLP
  int64_t experts = 0, top_k = 0, inner = 0;
  bool normalize = true;
};

MoeSettings read_moe_settings(const Config& config, Family family, int64_t layers) {
  MoeSettings m;
  m.sparse.assign(layers, false);
  if (family != Family::mixtral && family != Family::qwen3_moe) return m;
  const std::string file = config.file().string();
  const bool qwen = family == Family::qwen3_moe;
  // Both configs map num_experts onto num_local_experts.
  const auto experts_key = config.first_present({"num_local_experts", "num_experts"});
  m.experts = experts_key ? config.get_int(*experts_key) : (qwen ? 128 : 8);
  m.top_k = config.get_int("num_experts_per_tok", qwen ? 8 : 2);
  m.inner = qwen ? config.get_size("moe_intermediate_size", 768) : config.get_size("intermediate_size");
  // Mixtral always renormalises the chosen experts' probabilities; Qwen3-MoE when told to.
  m.normalize = !qwen || config.get_bool("norm_topk_prob", false);
  if (m.experts < 0) fail(file + ": num_experts must not be negative");
  if (!qwen && m.experts < 1) fail(file + ": num_local_experts must be positive");
  if (m.experts > 0 && (m.top_k < 1 || m.top_k > m.experts))
    fail(file + ": num_experts_per_tok " + std::to_string(m.top_k) + " is not between 1 and the " +
         std::to_string(m.experts) + " experts");
  if (!qwen) {
    m.sparse.assign(layers, true);
    return m;
  }
  const int64_t step = config.get_int("decoder_sparse_step", 1);
  if (step < 1) fail(file + ": decoder_sparse_step must be positive");
  std::vector<bool> mlp_only(layers, false);
  if (config.has("mlp_only_layers")) {
    const auto& list = config.json()["mlp_only_layers"];
    if (!list.is_array()) fail(file + ": mlp_only_layers must be a list of layer indices");
    for (const auto& v : list) {
      if (!v.is_number_integer()) fail(file + ": mlp_only_layers must be a list of layer indices");
      // An index past the last layer names no layer, in the reference as here.
      const int64_t i = v.get<int64_t>();
      if (i >= 0 && i < layers) mlp_only[i] = true;
    }
  }
  for (int64_t l = 0; l < layers; ++l) m.sparse[l] = !mlp_only[l] && m.experts > 0 && (l + 1) % step == 0;
  return m;
}

class Llama final : public DecoderLayers {
 public:
  Llama(const Config& config, Weights weights, Family family, const ModelLoadOptions& options, DecoderSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const int64_t C = config.get_size("hidden_size"), H = config.get_size("num_attention_heads");
    const int64_t KVH = config.get_size("num_key_value_heads", H), n_layers = config.get_size("num_hidden_layers");
    const int64_t F = config.get_size("intermediate_size"), vocab = config.get_size("vocab_size");
    C_ = C;
    eps_ = static_cast<float>(config.get_nonnegative(
        "rms_norm_eps", family == Family::olmo2 || family == Family::mixtral ? 1e-5 : 1e-6));
    const Activation act = parse_activation(config.get_string("hidden_act", "silu"), file + " hidden_act");
    int64_t D;
    if (config.has("head_dim")) {
      D = config.get_size("head_dim");
    } else if (family == Family::qwen3) {
      D = 128;  // Qwen3Config's default, whatever hidden_size / heads is
    } else {
      D = even_head_size(file, C, H);
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

    // Llama's (and Qwen3's) attention_bias covers q, k, v and o; Qwen2 always has q/k/v biases and
    // none on o.
    // Mixtral has no attention biases; neither MoE family has MLP biases.
    const bool moe_family = family == Family::mixtral || family == Family::qwen3_moe;
    const bool attention_bias = family != Family::mixtral && config.get_bool("attention_bias", false);
    const bool qkv_bias = family == Family::qwen2 || attention_bias;
    const bool o_bias = family != Family::qwen2 && attention_bias;
    const bool mlp_bias = !moe_family && config.get_bool("mlp_bias", false);
    const MoeSettings moe = read_moe_settings(config, family, n_layers);
    const int64_t QD = H * D, KD = KVH * D;

    // With a tied head a checkpoint may keep either copy (TinyStories keeps only lm_head.weight).
    const bool tied = config.get_bool("tie_word_embeddings", false);  // the default of all three configs
    const std::string embed_name = weights_.has("model.embed_tokens.weight") || !tied || !weights_.has("lm_head.weight")
                                       ? "model.embed_tokens.weight"  // throws below naming it when missing
                                       : "lm_head.weight";
    embed_ = EmbeddingTable(weights_, embed_name, vocab, C);
    // Tied, the head packs the embedding's stored bytes (as bf16 it reads them where they lie).
    spec.head =
        read_linear(weights_, packer_, {tied ? embed_name : "lm_head.weight", "", C, vocab, false, "lm_head.weight"});
    final_norm_ = w("model.norm.weight", {C});

    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
      return read_linear(weights_, packer_, {name + ".weight", bias ? name + ".bias" : "", in, out, false, ""});
    };
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      PreNormLayer L{};
      if (family == Family::olmo2) {  // no norm before a block, one after each
        L.attn_post_norm = {NormKind::rms_norm, w(p + "post_attention_layernorm.weight", {C}), nullptr, eps_};
        L.ffn_post_norm = {NormKind::rms_norm, w(p + "post_feedforward_layernorm.weight", {C}), nullptr, eps_};
      } else {
        L.attn_norm = {NormKind::rms_norm, w(p + "input_layernorm.weight", {C}), nullptr, eps_};
        L.ffn_norm = {NormKind::rms_norm, w(p + "post_attention_layernorm.weight", {C}), nullptr, eps_};
      }
      L.attn.q = lin(p + "self_attn.q_proj", C, QD, qkv_bias);
      L.attn.k = lin(p + "self_attn.k_proj", C, KD, qkv_bias);
      L.attn.v = lin(p + "self_attn.v_proj", C, KD, qkv_bias);
      L.attn.o = lin(p + "self_attn.o_proj", QD, C, o_bias);
      if (family == Family::qwen3 || family == Family::qwen3_moe || family == Family::olmo2) {
        // RMSNorm of q and k before the rotation: over each head (Qwen3), over all heads (OLMo 2).
        const bool whole = family == Family::olmo2;
        L.attn.q_norm = w(p + "self_attn.q_norm.weight", {whole ? QD : D});
        L.attn.k_norm = w(p + "self_attn.k_norm.weight", {whole ? KD : D});
        L.attn.qk_norm_whole = whole;
        L.attn.qk_norm_eps = eps_;
      }
      L.attn_opt.shape = AttentionShape{H, KVH, D, 1.0f / std::sqrt(static_cast<float>(D)), true};
      L.attn_opt.shape.window = windows[l];
      L.attn_opt.rope = 0;
      auto gated = [&](const std::string& gate, const std::string& up, const std::string& down, int64_t inner,
                       bool bias) {
        FeedForwardWeights f;
        f.gated = true;
        f.act = act;
        f.inner = inner;
        f.gate = lin(gate, C, inner, bias);
        f.up = lin(up, C, inner, bias);
        f.down = lin(down, inner, C, bias);
        return f;
      };
      if (moe.sparse[l] && family == Family::mixtral) {  // w1: gate, w3: up, w2: down
        const std::string m = p + "block_sparse_moe.";
        L.moe.router = lin(m + "gate", C, moe.experts, false);
        for (int64_t e = 0; e < moe.experts; ++e) {
          const std::string x = m + "experts." + std::to_string(e) + ".";
          L.moe.experts.push_back(gated(x + "w1", x + "w3", x + "w2", moe.inner, false));
        }
      } else if (moe.sparse[l]) {
        L.moe.router = lin(p + "mlp.gate", C, moe.experts, false);
        for (int64_t e = 0; e < moe.experts; ++e) {
          const std::string x = p + "mlp.experts." + std::to_string(e) + ".";
          L.moe.experts.push_back(gated(x + "gate_proj", x + "up_proj", x + "down_proj", moe.inner, false));
        }
      } else {
        L.ffn = gated(p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj", F, mlp_bias);
      }
      L.moe.top_k = moe.top_k;
      L.moe.normalize_top_k = moe.normalize;
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- embed_tokens[id]
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r) embed_.copy_row(rows.id(r), x + r * C_);
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
  EmbeddingTable embed_;
  const float* final_norm_;
  std::vector<PreNormLayer> layers_;
};

std::unique_ptr<CausalLM> load(const Config& config, Weights weights, Family family, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Llama>(config, std::move(weights), family, options, spec);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace

std::unique_ptr<CausalLM> load_llama(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::llama, options);
}
std::unique_ptr<CausalLM> load_mistral(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::mistral, options);
}
std::unique_ptr<CausalLM> load_qwen2(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::qwen2, options);
}
std::unique_ptr<CausalLM> load_qwen3(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::qwen3, options);
}
std::unique_ptr<CausalLM> load_olmo2(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::olmo2, options);
}
std::unique_ptr<CausalLM> load_mixtral(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::mixtral, options);
}
std::unique_ptr<CausalLM> load_qwen3_moe(const Config& config, Weights weights, const ModelLoadOptions& options) {
  return load(config, std::move(weights), Family::qwen3_moe, options);
}

}  // namespace tokprob
