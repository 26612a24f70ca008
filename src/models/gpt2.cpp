#include "models/gpt2.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/kv_cache.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct Gpt2Layer {
  const float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
  LinearWeights attn_qkv, attn_out, fc, proj;
};

class Gpt2 final : public CausalLM {
 public:
  Gpt2(const Config& config, Weights weights, const LoadOptions& options)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    n_embd_ = config.get_size("n_embd");
    n_head_ = config.get_size("n_head");
    n_layer_ = config.get_size("n_layer");
    n_pos_ = config.get_size("n_positions");
    vocab_ = config.get_size("vocab_size");
    n_inner_ = config.get_size("n_inner", 4 * n_embd_);
    eps_ = static_cast<float>(config.get_nonnegative("layer_norm_epsilon", 1e-5));
    act_ = parse_activation(config.get_string("activation_function", "gelu_new"),
                            config.file().string() + " activation_function");
    scale_weights_ = config.get_bool("scale_attn_weights", true);
    scale_by_layer_ = config.get_bool("scale_attn_by_inverse_layer_idx", false);
    if (n_embd_ % n_head_ != 0)
      fail(config.file().string() + ": n_embd (" + std::to_string(n_embd_) + ") is not a multiple of n_head (" +
           std::to_string(n_head_) + ")");

    info_.model_type = "gpt2";
    info_.architecture = config.first_architecture();
    info_.vocab_size = vocab_;
    info_.max_positions = n_pos_;
    if (config.has("bos_token_id")) info_.bos_token_id = static_cast<int32_t>(config.get_int("bos_token_id"));
    if (config.has("eos_token_id")) info_.eos_token_id = static_cast<int32_t>(config.get_int("eos_token_id"));
    if (config.has("pad_token_id")) info_.pad_token_id = static_cast<int32_t>(config.get_int("pad_token_id"));

    // Original gpt2/distilgpt2 checkpoints name tensors without the "transformer." prefix.
    prefix_ = weights_.has("transformer.wte.weight") ? "transformer." : "";
    const int64_t C = n_embd_;
    wte_ = w(prefix_ + "wte.weight", {vocab_, C});
    wpe_ = w(prefix_ + "wpe.weight", {n_pos_, C});
    lnf_g_ = w(prefix_ + "ln_f.weight", {C});
    lnf_b_ = w(prefix_ + "ln_f.bias", {C});
    const bool tied = config.get_bool("tie_word_embeddings", true);
    head_ = packer_.pack({tied || !weights_.has("lm_head.weight") ? wte_ : w("lm_head.weight", {vocab_, C}), nullptr,
                          C, vocab_, false},
                         "lm_head.weight");
    for (int64_t l = 0; l < n_layer_; ++l) {
      const std::string p = prefix_ + "h." + std::to_string(l) + ".";
      Gpt2Layer L{};
      L.ln1_g = w(p + "ln_1.weight", {C});
      L.ln1_b = w(p + "ln_1.bias", {C});
      L.ln2_g = w(p + "ln_2.weight", {C});
      L.ln2_b = w(p + "ln_2.bias", {C});
      L.attn_qkv = conv1d(p + "attn.c_attn", C, 3 * C);
      L.attn_out = conv1d(p + "attn.c_proj", C, C);
      L.fc = conv1d(p + "mlp.c_fc", C, n_inner_);
      L.proj = conv1d(p + "mlp.c_proj", n_inner_, C);
      layers_.push_back(L);
    }
  }

  const ModelInfo& info() const override { return info_; }

  std::unique_ptr<DecoderState> new_state() const override {
    return std::make_unique<KVCache>(n_layer_, n_embd_);
  }

  // x: [T, C] packed rows of all chunks -> logits [R, V] for the requested rows.
  std::vector<float> forward(std::span<DecodeChunk> chunks) const override {
    const int64_t C = n_embd_, H = n_head_, D = C / H;
    int64_t T = 0, R = 0;
    for (auto& ch : chunks) {
      auto* cache = dynamic_cast<KVCache*>(ch.state);
      if (!cache) fail("internal: decoder state of another model passed to GPT-2");
      if (cache->length() + static_cast<int64_t>(ch.ids.size()) > n_pos_)
        fail("sequence of " + std::to_string(cache->length() + ch.ids.size()) +
             " tokens is longer than the model's " + std::to_string(n_pos_) + " positions (n_positions)");
      for (int32_t id : ch.ids)
        if (id < 0 || id >= vocab_) fail("token id " + std::to_string(id) + " is outside the vocabulary");
      for (int64_t r : ch.logits_for)
        if (r < 0 || r >= static_cast<int64_t>(ch.ids.size())) fail("internal: logits row outside the chunk");
      T += static_cast<int64_t>(ch.ids.size());
      R += static_cast<int64_t>(ch.logits_for.size());
    }
    std::vector<float> x(T * C), h(T * C), qkv(T * 3 * C), att(T * C), mlp(T * n_inner_);
    {
      int64_t row = 0;
      for (auto& ch : chunks) {
        const int64_t start = ch.state->length();
        for (size_t i = 0; i < ch.ids.size(); ++i, ++row) {
          const float* te = wte_ + static_cast<int64_t>(ch.ids[i]) * C;
          const float* pe = wpe_ + (start + static_cast<int64_t>(i)) * C;
          for (int64_t c = 0; c < C; ++c) x[row * C + c] = te[c] + pe[c];
        }
      }
    }
    for (int64_t l = 0; l < n_layer_; ++l) {
      const Gpt2Layer& L = layers_[l];
      layer_norm(x.data(), T, C, L.ln1_g, L.ln1_b, eps_, h.data());
      linear(h.data(), T, L.attn_qkv, qkv.data());
      AttentionShape shape{H, H, D, 1.0f, true};
      float scale = scale_weights_ ? 1.0f / std::sqrt(static_cast<float>(D)) : 1.0f;
      if (scale_by_layer_) scale /= static_cast<float>(l + 1);
      shape.scale = scale;
      int64_t row = 0;
      for (auto& ch : chunks) {
        auto* cache = static_cast<KVCache*>(ch.state);
        const int64_t n = static_cast<int64_t>(ch.ids.size());
        const int64_t start = cache->length();
        cache->append(l, qkv.data() + row * 3 * C + C, qkv.data() + row * 3 * C + 2 * C, 3 * C, n);
        attention(qkv.data() + row * 3 * C, 3 * C, cache->keys(l), cache->values(l), C, start + n, n, start, shape,
                  att.data() + row * C, C);
        row += n;
      }
      linear(att.data(), T, L.attn_out, x.data(), /*accumulate=*/true);
      layer_norm(x.data(), T, C, L.ln2_g, L.ln2_b, eps_, h.data());
      linear(h.data(), T, L.fc, mlp.data());
      apply_activation(act_, mlp.data(), T * n_inner_);
      linear(mlp.data(), T, L.proj, x.data(), /*accumulate=*/true);
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
    layer_norm(sel.data(), R, C, lnf_g_, lnf_b_, eps_, sel.data());
    std::vector<float> logits(R * vocab_);
    linear(sel.data(), R, head_, logits.data());
    return logits;
  }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }
  // GPT-2's Conv1D: name.weight [in, out] and name.bias [out].
  LinearWeights conv1d(const std::string& name, int64_t in, int64_t out) {
    return packer_.pack({w(name + ".weight", {in, out}), w(name + ".bias", {out}), in, out, true}, name + ".weight");
  }

  Weights weights_;
  LinearPacker packer_;
  ModelInfo info_;
  std::string prefix_;
  int64_t n_embd_, n_head_, n_layer_, n_pos_, vocab_, n_inner_;
  float eps_;
  Activation act_;
  bool scale_weights_, scale_by_layer_;
  const float *wte_, *wpe_, *lnf_g_, *lnf_b_;
  LinearWeights head_;
  std::vector<Gpt2Layer> layers_;
};

}  // namespace

std::unique_ptr<CausalLM> load_gpt2(const Config& config, Weights weights, const LoadOptions& options) {
  return std::make_unique<Gpt2>(config, std::move(weights), options);
}

}  // namespace tokprob
