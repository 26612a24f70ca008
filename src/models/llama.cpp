#include "models/llama.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/activations.hpp"
#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/kv_cache.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

enum class Family { llama, mistral, qwen2 };

struct LlamaLayer {
  const float *attn_norm, *mlp_norm;
  LinearWeights q, k, v, o, gate, up, down;
};

// config.json eos_token_id / bos_token_id may be one id or a list (Llama 3); ModelInfo keeps the first.
std::optional<int32_t> first_token_id(const Config& config, const char* key) {
  if (!config.has(key)) return std::nullopt;
  const auto& j = config.json()[key];
  if (j.is_array()) {
    if (j.empty() || !j[0].is_number_integer()) return std::nullopt;
    return j[0].get<int32_t>();
  }
  return static_cast<int32_t>(config.get_int(key));
}

class Llama final : public CausalLM {
 public:
  Llama(const Config& config, Weights weights, Family family, const LoadOptions& options)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    hidden_ = config.get_size("hidden_size");
    n_heads_ = config.get_size("num_attention_heads");
    n_kv_heads_ = config.get_size("num_key_value_heads", n_heads_);
    n_layers_ = config.get_size("num_hidden_layers");
    inter_ = config.get_size("intermediate_size");
    vocab_ = config.get_size("vocab_size");
    n_pos_ = config.get_size("max_position_embeddings");
    eps_ = static_cast<float>(config.get_nonnegative("rms_norm_eps", 1e-6));
    theta_ = config.get_positive("rope_theta", 10000.0);
    act_ = parse_activation(config.get_string("hidden_act", "silu"), file + " hidden_act");
    if (config.has("head_dim")) {
      head_dim_ = config.get_size("head_dim");
    } else {
      if (hidden_ % n_heads_ != 0)
        fail(file + ": hidden_size (" + std::to_string(hidden_) + ") is not a multiple of num_attention_heads (" +
             std::to_string(n_heads_) + ")");
      head_dim_ = hidden_ / n_heads_;
    }
    if (head_dim_ % 2 != 0) fail(file + ": head_dim " + std::to_string(head_dim_) + " is odd; rotary needs pairs");
    if (n_heads_ % n_kv_heads_ != 0)
      fail(file + ": num_attention_heads (" + std::to_string(n_heads_) + ") is not a multiple of num_key_value_heads (" +
           std::to_string(n_kv_heads_) + ")");
    read_rope_scaling(config);
    if (family == Family::mistral && config.has("sliding_window")) window_ = config.get_size("sliding_window");
    if (family == Family::qwen2 && config.get_bool("use_sliding_window", false))
      fail(file + ": use_sliding_window true is not supported for qwen2");

    info_.model_type = config.model_type();
    info_.architecture = config.first_architecture();
    info_.vocab_size = vocab_;
    info_.max_positions = n_pos_;
    info_.bos_token_id = first_token_id(config, "bos_token_id");
    info_.eos_token_id = first_token_id(config, "eos_token_id");
    info_.pad_token_id = first_token_id(config, "pad_token_id");

    // Llama's attention_bias covers q, k, v and o; Qwen2 always has q/k/v biases and none on o.
    const bool qkv_bias = family == Family::qwen2 || config.get_bool("attention_bias", false);
    const bool o_bias = family != Family::qwen2 && config.get_bool("attention_bias", false);
    const bool mlp_bias = config.get_bool("mlp_bias", false);
    const int64_t C = hidden_, QD = n_heads_ * head_dim_, KD = n_kv_heads_ * head_dim_, F = inter_;

    // With a tied head a checkpoint may keep either copy (TinyStories keeps only lm_head.weight).
    const bool tied = config.get_bool("tie_word_embeddings", false);  // the default of all three configs
    if (weights_.has("model.embed_tokens.weight")) {
      embed_ = w("model.embed_tokens.weight", {vocab_, C});
    } else if (tied && weights_.has("lm_head.weight")) {
      embed_ = w("lm_head.weight", {vocab_, C});
    } else {
      embed_ = w("model.embed_tokens.weight", {vocab_, C});  // throws naming the missing tensor
    }
    const float* head = tied ? embed_ : w("lm_head.weight", {vocab_, C});
    head_ = packer_.pack({head, nullptr, C, vocab_, false}, "lm_head.weight");
    final_norm_ = w("model.norm.weight", {C});

    auto lin = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
      return packer_.pack({w(name + ".weight", {out, in}), bias ? w(name + ".bias", {out}) : nullptr, in, out, false},
                          name + ".weight");
    };
    for (int64_t l = 0; l < n_layers_; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      LlamaLayer L{};
      L.attn_norm = w(p + "input_layernorm.weight", {C});
      L.mlp_norm = w(p + "post_attention_layernorm.weight", {C});
      L.q = lin(p + "self_attn.q_proj", C, QD, qkv_bias);
      L.k = lin(p + "self_attn.k_proj", C, KD, qkv_bias);
      L.v = lin(p + "self_attn.v_proj", C, KD, qkv_bias);
      L.o = lin(p + "self_attn.o_proj", QD, C, o_bias);
      L.gate = lin(p + "mlp.gate_proj", C, F, mlp_bias);
      L.up = lin(p + "mlp.up_proj", C, F, mlp_bias);
      L.down = lin(p + "mlp.down_proj", F, C, mlp_bias);
      layers_.push_back(L);
    }
    // inv_freq_i = theta^(-2i/d), computed in float32 as the reference does.
    for (int64_t i = 0; i < head_dim_ / 2; ++i) {
      const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim_);
      inv_freq_.push_back(1.0f / static_cast<float>(std::pow(static_cast<float>(theta_), exponent)));
    }
  }

  const ModelInfo& info() const override { return info_; }

  std::unique_ptr<DecoderState> new_state() const override {
    return std::make_unique<KVCache>(n_layers_, n_kv_heads_ * head_dim_);
  }

  // x: [T, C] packed rows of all chunks -> logits [R, V] for the requested rows.
  std::vector<float> forward(std::span<DecodeChunk> chunks) const override {
    const int64_t C = hidden_, D = head_dim_, QD = n_heads_ * D, KD = n_kv_heads_ * D, F = inter_;
    int64_t T = 0, R = 0;
    for (auto& ch : chunks) {
      auto* cache = dynamic_cast<KVCache*>(ch.state);
      if (!cache) fail("internal: decoder state of another model passed to " + info_.model_type);
      const int64_t len = cache->length() + static_cast<int64_t>(ch.ids.size());
      if (len > n_pos_)
        fail("sequence of " + std::to_string(len) + " tokens is longer than the model's " + std::to_string(n_pos_) +
             " positions (max_position_embeddings)");
      if (window_ > 0 && len > window_)
        fail("sequence of " + std::to_string(len) + " tokens is longer than the model's sliding window of " +
             std::to_string(window_) + " tokens (sliding_window), which tokprob does not implement");
      for (int32_t id : ch.ids)
        if (id < 0 || id >= vocab_) fail("token id " + std::to_string(id) + " is outside the vocabulary");
      for (int64_t r : ch.logits_for)
        if (r < 0 || r >= static_cast<int64_t>(ch.ids.size())) fail("internal: logits row outside the chunk");
      T += static_cast<int64_t>(ch.ids.size());
      R += static_cast<int64_t>(ch.logits_for.size());
    }
    std::vector<float> x(T * C), h(T * C), q(T * QD), k(T * KD), v(T * KD), att(T * QD);
    std::vector<float> gate(T * F), up(T * F);
    std::vector<float> cos(T * D / 2), sin(T * D / 2);
    {
      int64_t row = 0;
      for (auto& ch : chunks) {
        const int64_t start = ch.state->length();
        for (size_t i = 0; i < ch.ids.size(); ++i, ++row) {
          std::memcpy(&x[row * C], embed_ + static_cast<int64_t>(ch.ids[i]) * C, C * sizeof(float));
          rotary_angles(start + static_cast<int64_t>(i), &cos[row * D / 2], &sin[row * D / 2]);
        }
      }
    }
    const AttentionShape shape{n_heads_, n_kv_heads_, D, 1.0f / std::sqrt(static_cast<float>(D)), true};
    for (int64_t l = 0; l < n_layers_; ++l) {
      const LlamaLayer& L = layers_[l];
      rms_norm(x.data(), T, C, L.attn_norm, eps_, h.data());
      linear(h.data(), T, L.q, q.data());
      linear(h.data(), T, L.k, k.data());
      linear(h.data(), T, L.v, v.data());
      for (int64_t r = 0; r < T; ++r) {
        rotate(&q[r * QD], n_heads_, &cos[r * D / 2], &sin[r * D / 2]);
        rotate(&k[r * KD], n_kv_heads_, &cos[r * D / 2], &sin[r * D / 2]);
      }
      int64_t row = 0;
      for (auto& ch : chunks) {
        auto* cache = static_cast<KVCache*>(ch.state);
        const int64_t n = static_cast<int64_t>(ch.ids.size());
        const int64_t start = cache->length();
        cache->append(l, &k[row * KD], &v[row * KD], KD, n);
        attention(&q[row * QD], QD, cache->keys(l), cache->values(l), KD, start + n, n, start, shape, &att[row * QD],
                  QD);
        row += n;
      }
      linear(att.data(), T, L.o, x.data(), /*accumulate=*/true);
      rms_norm(x.data(), T, C, L.mlp_norm, eps_, h.data());
      linear(h.data(), T, L.gate, gate.data());
      linear(h.data(), T, L.up, up.data());
      gated_activation(act_, gate.data(), up.data(), gate.data(), T * F);
      linear(gate.data(), T, L.down, x.data(), /*accumulate=*/true);
    }
    for (auto& ch : chunks) static_cast<KVCache*>(ch.state)->advance(static_cast<int64_t>(ch.ids.size()));

    // The final norm and the vocabulary projection only for the rows asked for.
    std::vector<float> sel(R * C);
    {
      int64_t row = 0, r = 0;
      for (auto& ch : chunks) {
        for (int64_t i : ch.logits_for) std::memcpy(&sel[r++ * C], &x[(row + i) * C], C * sizeof(float));
        row += static_cast<int64_t>(ch.ids.size());
      }
    }
    rms_norm(sel.data(), R, C, final_norm_, eps_, sel.data());
    std::vector<float> logits(R * vocab_);
    linear(sel.data(), R, head_, logits.data());
    return logits;
  }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  void read_rope_scaling(const Config& config) {
    if (!config.has("rope_scaling")) return;
    const auto& rs = config.json()["rope_scaling"];
    const std::string where = config.file().string() + " rope_scaling";
    if (!rs.is_object()) fail(where + ": expected an object or null");
    std::string type;
    if (rs.contains("type") && rs["type"].is_string()) type = rs["type"].get<std::string>();
    if (rs.contains("rope_type") && rs["rope_type"].is_string()) type = rs["rope_type"].get<std::string>();
    if (type == "default") return;
    if (type != "linear")
      fail(where + ": rope scaling type '" + type + "' is not supported (supported: linear, or null)");
    const double factor = rs.contains("factor") && rs["factor"].is_number() ? rs["factor"].get<double>() : 0.0;
    if (!(factor > 0 && factor <= std::numeric_limits<float>::max()))
      fail(where + ": linear scaling needs a positive, finite \"factor\"");
    rope_factor_ = static_cast<float>(factor);
  }

  // cos/sin of position * inv_freq_i, i < head_dim/2 (both halves of a head share them).
  void rotary_angles(int64_t position, float* c, float* s) const {
    // Linear scaling divides the position, in float32 like the reference.
    const float pos = static_cast<float>(position) / rope_factor_;
    for (size_t i = 0; i < inv_freq_.size(); ++i) {
      const float angle = pos * inv_freq_[i];
      c[i] = std::cos(angle);
      s[i] = std::sin(angle);
    }
  }

  // x: [heads, head_dim] of one row; "rotate half": pairs (j, j + d/2), not interleaved.
  void rotate(float* x, int64_t heads, const float* c, const float* s) const {
    const int64_t half = head_dim_ / 2;
    for (int64_t hd = 0; hd < heads; ++hd) {
      float* xh = x + hd * head_dim_;
      for (int64_t j = 0; j < half; ++j) {
        const float a = xh[j], b = xh[j + half];
        xh[j] = a * c[j] - b * s[j];
        xh[j + half] = b * c[j] + a * s[j];
      }
    }
  }

  Weights weights_;
  LinearPacker packer_;
  ModelInfo info_;
  int64_t hidden_, n_heads_, n_kv_heads_, n_layers_, inter_, vocab_, n_pos_, head_dim_;
  int64_t window_ = 0;
  float eps_;
  double theta_;
  float rope_factor_ = 1.0f;
  Activation act_;
  std::vector<float> inv_freq_;
  const float *embed_, *final_norm_;
  LinearWeights head_;
  std::vector<LlamaLayer> layers_;
};

}  // namespace

std::unique_ptr<CausalLM> load_llama(const Config& config, Weights weights, const LoadOptions& options) {
  return std::make_unique<Llama>(config, std::move(weights), Family::llama, options);
}
std::unique_ptr<CausalLM> load_mistral(const Config& config, Weights weights, const LoadOptions& options) {
  return std::make_unique<Llama>(config, std::move(weights), Family::mistral, options);
}
std::unique_ptr<CausalLM> load_qwen2(const Config& config, Weights weights, const LoadOptions& options) {
  return std::make_unique<Llama>(config, std::move(weights), Family::qwen2, options);
}

}  // namespace tokprob
