#include "models/gpt2.hpp"

#include <cmath>

#include "kernels/linear_packer.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/embedding_table.hpp"
#include "models/blocks/pre_norm_layer.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

class Gpt2 final : public DecoderLayers {
 public:
  // bigcode: GPTBigCode (SantaCoder, StarCoder): GPT-2's layout with nn.Linear weights and, with
  // multi_query, one key/value head.
  Gpt2(const Config& config, Weights weights, const ModelLoadOptions& options, DecoderSpec& spec, bool bigcode)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache), linear_(bigcode) {
    const int64_t C = config.get_size("n_embd"), H = config.get_size("n_head");
    const int64_t n_layer = config.get_size("n_layer"), vocab = config.get_size("vocab_size");
    const int64_t F = config.get_size("n_inner", 4 * C);
    C_ = C;
    n_pos_ = config.get_size("n_positions");
    eps_ = static_cast<float>(config.get_nonnegative("layer_norm_epsilon", 1e-5));
    const Activation act = parse_activation(config.get_string("activation_function", bigcode ? "gelu_pytorch_tanh" : "gelu_new"),
                                            config.file().string() + " activation_function");
    const bool scale_weights = config.get_bool("scale_attn_weights", true);
    const bool scale_by_layer = !bigcode && config.get_bool("scale_attn_by_inverse_layer_idx", false);
    if (bigcode) refuse_unless(config, "add_cross_attention", false);
    const bool multi_query = bigcode && config.get_bool("multi_query", true);
    if (C % H != 0)
      fail(config.file().string() + ": n_embd (" + std::to_string(C) + ") is not a multiple of n_head (" +
           std::to_string(H) + ")");
    const int64_t D = C / H, KVH = multi_query ? 1 : H;

    spec.info = read_decoder_info(config, vocab, n_pos_);
    spec.info.model_type = bigcode ? "gpt_bigcode" : "gpt2";
    spec.max_positions_key = "n_positions";
    spec.hidden = C;
    spec.layers = n_layer;
    spec.kv_dim = KVH * D;

    // Original gpt2/distilgpt2 checkpoints name tensors without the "transformer." prefix.
    const std::string prefix = weights_.has("transformer.wte.weight") ? "transformer." : "";
    wte_ = EmbeddingTable(weights_, prefix + "wte.weight", vocab, C);
    wpe_ = EmbeddingTable(weights_, prefix + "wpe.weight", n_pos_, C);
    lnf_g_ = w(prefix + "ln_f.weight", {C});
    lnf_b_ = w(prefix + "ln_f.bias", {C});
    const bool tied = config.get_bool("tie_word_embeddings", true);
    // Tied, the head packs the embedding's stored bytes (as bf16 it reads them where they lie).
    const std::string head = tied || !weights_.has("lm_head.weight") ? prefix + "wte.weight" : "lm_head.weight";
    spec.head = read_linear(weights_, packer_, {head, "", C, vocab, false, "lm_head.weight"});
    for (int64_t l = 0; l < n_layer; ++l) {
      const std::string p = prefix + "h." + std::to_string(l) + ".";
      PreNormLayer L{};
      L.attn_norm = {NormKind::layer_norm, w(p + "ln_1.weight", {C}), w(p + "ln_1.bias", {C}), eps_};
      L.ffn_norm = {NormKind::layer_norm, w(p + "ln_2.weight", {C}), w(p + "ln_2.bias", {C}), eps_};
      L.attn.fused = true;
      // Without multi_query GPTBigCode's c_attn holds [q | k | v] head by head.
      L.attn.fused_per_head = bigcode && !multi_query;
      L.attn.qkv = conv1d(p + "attn.c_attn", C, C + 2 * KVH * D);
      L.attn.o = conv1d(p + "attn.c_proj", C, C);
      float scale = scale_weights ? 1.0f / std::sqrt(static_cast<float>(D)) : 1.0f;
      if (scale_by_layer) scale /= static_cast<float>(l + 1);
      L.attn_opt.shape = AttentionShape{H, KVH, D, scale, true};
      L.ffn.act = act;
      L.ffn.inner = F;
      L.ffn.up = conv1d(p + "mlp.c_fc", C, F);
      L.ffn.down = conv1d(p + "mlp.c_proj", F, C);
      layers_.push_back(L);
    }
  }

  // x: [T, C] <- wte[id] + wpe[position]
  void embed(const DecoderRows& rows, float* x) const override {
    for (int64_t r = 0; r < rows.count(); ++r) {
      wte_.copy_row(rows.id(r), x + r * C_);
      wpe_.add_row(rows.position(r), x + r * C_);
    }
  }

  // x: [T, C] -> [T, C]: x += attn(ln_1(x)); x += mlp(ln_2(x))
  void layer(int64_t l, const DecoderRows& rows, float* x) const override {
    pre_norm_layer(l, rows, layers_[l], C_, x);
  }

  // x: [R, C] -> ln_f(x)
  void final_norm(float* x, int64_t rows) const override { layer_norm(x, rows, C_, lnf_g_, lnf_b_, eps_, x); }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }
  // GPT-2's Conv1D: name.weight [in, out] and name.bias [out]; GPTBigCode's nn.Linear: [out, in].
  LinearWeights conv1d(const std::string& name, int64_t in, int64_t out) {
    return read_linear(weights_, packer_, {name + ".weight", name + ".bias", in, out, !linear_, ""});
  }

  Weights weights_;
  LinearPacker packer_;
  bool linear_;
  int64_t C_, n_pos_;
  float eps_;
  EmbeddingTable wte_, wpe_;
  const float *lnf_g_, *lnf_b_;
  std::vector<PreNormLayer> layers_;
};

}  // namespace

std::unique_ptr<CausalLM> load_gpt2(const Config& config, Weights weights, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Gpt2>(config, std::move(weights), options, spec, false);
  return make_decoder(std::move(spec), std::move(layers));
}

std::unique_ptr<CausalLM> load_gpt_bigcode(const Config& config, Weights weights, const ModelLoadOptions& options) {
  DecoderSpec spec;
  auto layers = std::make_unique<Gpt2>(config, std::move(weights), options, spec, true);
  return make_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
