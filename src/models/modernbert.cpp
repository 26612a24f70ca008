#include "models/modernbert.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/activations.hpp"
#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "kernels/rope.hpp"
#include "models/blocks/feed_forward.hpp"
#include "models/blocks/norm.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/encoder_batch.hpp"
#include "models/encoder_info_config.hpp"
#include "models/head_size.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct ModernBertLayer {
  Norm attn_norm;  // unset on layer 0, whose attention reads the embeddings as they are
  LinearWeights wqkv, wo;
  Norm mlp_norm;
  FeedForwardWeights mlp;
  bool local = false;  // sliding_attention: the local window and the local rope
};

// dense -> act -> LayerNorm, before the decoder (fill-mask) or the classifier.
struct PredictionHead {
  LinearWeights dense;
  Activation act = Activation::gelu_erf;
  Norm norm;
};

struct ModernBertSpec {
  EncoderInfo info;
  int64_t hidden = 0, heads = 0, head_dim = 0;
  int64_t window = 0;  // the kernel's bidirectional window of a local layer: local_attention / 2 + 1
  const float* word_embeddings = nullptr;
  Norm embed_norm, final_norm;
  std::vector<ModernBertLayer> layers;
  PredictionHead head;
  LinearWeights decoder;     // masked LM: [C] -> [vocab]
  LinearWeights classifier;  // classifier: [C] -> [labels]
  bool mean_pooling = false;  // classifier_pooling "mean"; else "cls", the first token
};

class ModernBert final : public EncoderModel {
 public:
  ModernBert(ModernBertSpec spec, Rope global, Rope local, Weights weights, LinearPacker packer)
      : s_(std::move(spec)), global_(std::move(global)), local_(std::move(local)), weights_(std::move(weights)),
        packer_(std::move(packer)) {}

  const EncoderInfo& info() const override { return s_.info; }

  EncoderOutput forward(std::span<const EncoderSequence> seqs) const override {
    const bool mlm = s_.info.head == EncoderHead::masked_lm;
    const int64_t C = s_.hidden, T = validate_encoder_batch(s_.info, mlm, seqs);
    std::vector<float> x(T * C);
    int64_t row = 0, longest = 0;
    for (const auto& sq : seqs) {
      for (int32_t id : sq.ids) std::memcpy(&x[row++ * C], s_.word_embeddings + int64_t{id} * C, C * sizeof(float));
      longest = std::max<int64_t>(longest, static_cast<int64_t>(sq.ids.size()));
    }
    s_.embed_norm.apply(x.data(), T, C, x.data());

    // Every sequence counts its positions from 0: the angles of each rope by position.
    const RopeAngles global = angles(global_, longest), local = angles(local_, longest);
    std::vector<float> h(T * C), qkv(T * 3 * C), ctx(T * C);
    for (const ModernBertLayer& L : s_.layers) {
      if (L.attn_norm)
        L.attn_norm.apply(x.data(), T, C, h.data());
      else
        std::copy(x.begin(), x.end(), h.begin());
      attention_block(L, seqs, L.local ? local : global, h.data(), qkv, ctx, x.data());
      L.mlp_norm.apply(x.data(), T, C, h.data());
      feed_forward_block(L.mlp, h.data(), T, x.data());
    }
    s_.final_norm.apply(x.data(), T, C, x.data());

    EncoderOutput out;
    if (mlm) {
      std::vector<float> sel;
      row = 0;
      for (const auto& sq : seqs) {
        for (int64_t i : sq.mlm_logits_for) sel.insert(sel.end(), &x[(row + i) * C], &x[(row + i + 1) * C]);
        row += static_cast<int64_t>(sq.ids.size());
      }
      const auto R = static_cast<int64_t>(sel.size()) / C;
      if (R > 0) out.mlm_logits = head_then(sel, R, s_.decoder);
    } else {
      out.class_logits = head_then(pool(seqs, x.data()), static_cast<int64_t>(seqs.size()), s_.classifier);
    }
    return out;
  }

 private:
  struct RopeAngles {
    std::vector<float> cos, sin;  // [positions, pairs]
  };

  static RopeAngles angles(const Rope& rope, int64_t positions) {
    const int64_t P = rope.pairs();
    RopeAngles a{std::vector<float>(positions * P), std::vector<float>(positions * P)};
    const std::vector<float> inv = rope.inv_freq(positions);
    for (int64_t p = 0; p < positions; ++p) rope.angles(p, inv, &a.cos[p * P], &a.sin[p * P]);
    return a;
  }

  // h: [T, C] (normed) -> x += Wo(attention(h)), each sequence attending within itself.
  void attention_block(const ModernBertLayer& L, std::span<const EncoderSequence> seqs, const RopeAngles& a,
                       const float* h, std::vector<float>& qkv, std::vector<float>& ctx, float* x) const {
    const int64_t C = s_.hidden, H = s_.heads, D = s_.head_dim, P = D / 2;
    const auto T = static_cast<int64_t>(qkv.size()) / (3 * C);
    linear(h, T, L.wqkv, qkv.data());
    AttentionShape shape{H, H, D, 1.0f / std::sqrt(static_cast<float>(D)), /*causal=*/false};
    shape.window = L.local ? s_.window : 0;
    int64_t row = 0;
    for (const auto& sq : seqs) {
      const auto n = static_cast<int64_t>(sq.ids.size());
      const Rope& rope = L.local ? local_ : global_;
      for (int64_t i = 0; i < n; ++i) {
        float* r = &qkv[(row + i) * 3 * C];
        rope.rotate(r, H, &a.cos[i * P], &a.sin[i * P]);      // q
        rope.rotate(r + C, H, &a.cos[i * P], &a.sin[i * P]);  // k
      }
      const float* q = &qkv[row * 3 * C];
      attention(q, 3 * C, q + C, q + 2 * C, 3 * C, n, n, 0, shape, &ctx[row * C], C);
      row += n;
    }
    linear(ctx.data(), T, L.wo, x, /*accumulate=*/true);
  }

  // The classifier's input of each sequence: its first row, or the mean of its rows.
  std::vector<float> pool(std::span<const EncoderSequence> seqs, const float* x) const {
    const int64_t C = s_.hidden;
    std::vector<float> pooled(seqs.size() * C, 0.0f);
    int64_t row = 0;
    for (size_t s = 0; s < seqs.size(); ++s) {
      const auto n = static_cast<int64_t>(seqs[s].ids.size());
      float* p = &pooled[s * C];
      if (s_.mean_pooling) {
        for (int64_t i = 0; i < n; ++i)
          for (int64_t c = 0; c < C; ++c) p[c] += x[(row + i) * C + c];
        for (int64_t c = 0; c < C; ++c) p[c] /= static_cast<float>(n);
      } else {
        std::memcpy(p, x + row * C, C * sizeof(float));
      }
      row += n;
    }
    return pooled;
  }

  // rows: [R, C] -> prediction head -> `out` -> [R, out.out]
  std::vector<float> head_then(std::vector<float> rows, int64_t R, const LinearWeights& out) const {
    const int64_t C = s_.hidden;
    std::vector<float> t(R * C), logits(R * out.out);
    linear(rows.data(), R, s_.head.dense, t.data());
    apply_activation(s_.head.act, t.data(), R * C);
    s_.head.norm.apply(t.data(), R, C, t.data());
    linear(t.data(), R, out, logits.data());
    return logits;
  }

  ModernBertSpec s_;
  Rope global_, local_;
  Weights weights_;
  LinearPacker packer_;
};

// The rope base of one layer type: 5.x's rope_parameters[type], else the older top-level key.
double rope_theta(const Config& config, const std::string& type, const char* old_key, double fallback) {
  const std::string file = config.file().string();
  const auto& j = config.json();
  if (config.has("rope_parameters")) {
    const auto& rp = j["rope_parameters"];
    if (!rp.is_object()) fail(file + ": rope_parameters is not an object");
    if (rp.contains(type) && !rp[type].is_null()) {
      const auto& p = rp[type];
      if (!p.is_object()) fail(file + ": rope_parameters." + type + " is not an object");
      const std::string rope_type = p.value("rope_type", p.value("type", std::string("default")));
      if (rope_type != "default")
        fail(file + ": rope_parameters." + type + " rope_type '" + rope_type +
             "' is not supported for modernbert (only default)");
      for (auto it = p.begin(); it != p.end(); ++it)
        if (it.key() != "rope_type" && it.key() != "type" && it.key() != "rope_theta")
          fail(file + ": rope_parameters." + type + "." + it.key() + " is not supported for modernbert");
      if (p.contains("rope_theta")) {
        if (!p["rope_theta"].is_number() || !(p["rope_theta"].get<double>() > 0))
          fail(file + ": rope_parameters." + type + ".rope_theta is not a positive number");
        return p["rope_theta"].get<double>();
      }
    }
  }
  return config.get_positive(old_key, fallback);
}

// Whether each layer is local: layer_types, else every global_attn_every_n_layers-th layer (from 0) is global.
std::vector<bool> read_local_layers(const Config& config, int64_t n_layers) {
  const std::string file = config.file().string();
  std::vector<bool> local(n_layers);
  if (config.has("layer_types")) {
    const auto& types = config.json()["layer_types"];
    if (!types.is_array() || static_cast<int64_t>(types.size()) != n_layers)
      fail(file + ": layer_types must list one type per layer (" + std::to_string(n_layers) + ")");
    for (int64_t l = 0; l < n_layers; ++l) {
      const std::string t = types[l].is_string() ? types[l].get<std::string>() : "";
      if (t != "full_attention" && t != "sliding_attention")
        fail(file + ": layer_types entry '" + t + "' is not supported (full_attention, sliding_attention)");
      local[l] = t == "sliding_attention";
    }
    return local;
  }
  const int64_t every = config.get_size("global_attn_every_n_layers", 3);
  for (int64_t l = 0; l < n_layers; ++l) local[l] = l % every != 0;
  return local;
}

}  // namespace

std::unique_ptr<EncoderModel> load_modernbert(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options) {
  const std::string file = config.file().string();
  ModernBertSpec s;
  const int64_t C = s.hidden = config.get_size("hidden_size");
  const int64_t H = s.heads = config.get_size("num_attention_heads");
  const int64_t F = config.get_size("intermediate_size"), n_layers = config.get_size("num_hidden_layers");
  const int64_t D = s.head_dim = even_head_size(file, C, H);
  if (D % 2 != 0) fail(file + ": the head size " + std::to_string(D) + " is odd; rotary embeddings need pairs");
  if (config.has("head_dim") && config.get_int("head_dim") != D)
    fail(file + ": head_dim " + std::to_string(config.get_int("head_dim")) +
         " is not supported for modernbert (only hidden_size / num_attention_heads)");
  const float eps = static_cast<float>(config.get_nonnegative("norm_eps", 1e-5));
  const bool norm_bias = config.get_bool("norm_bias", false), attention_bias = config.get_bool("attention_bias", false),
             mlp_bias = config.get_bool("mlp_bias", false), decoder_bias = config.get_bool("decoder_bias", true),
             classifier_bias = config.get_bool("classifier_bias", false);
  const Activation act = parse_activation(config.get_string("hidden_activation", "gelu"), file + " hidden_activation");
  const Activation head_act =
      parse_activation(config.get_string("classifier_activation", "gelu"), file + " classifier_activation");
  // local_attention is the whole window; a token sees local_attention / 2 on either side.
  const int64_t local_attention = config.get_int("local_attention", 128);
  if (local_attention < 0) fail(file + ": local_attention " + std::to_string(local_attention) + " is negative");
  s.window = local_attention / 2 + 1;
  const std::string pooling = config.get_string("classifier_pooling", "cls");
  if (pooling != "cls" && pooling != "mean")
    fail(file + ": classifier_pooling '" + pooling + "' is not supported (cls, mean)");
  s.mean_pooling = pooling == "mean";

  EncoderInfo& I = s.info = encoder_info_from_config(config, head);
  const int64_t V = I.vocab_size;
  I.max_positions = config.get_size("max_position_embeddings", 8192);
  I.type_vocab_size = 0;
  if (config.has("pad_token_id")) I.pad_token_id = static_cast<int32_t>(config.get_int("pad_token_id"));

  if (config.has("rope_scaling")) fail(file + ": rope_scaling is not supported for modernbert (only default rope)");
  RopeParams global_params, local_params;
  for (RopeParams* p : {&global_params, &local_params}) {
    p->head_dim = p->rotary_dim = D;
    p->max_positions = I.max_positions;
  }
  global_params.theta = rope_theta(config, "full_attention", "global_rope_theta", 160'000.0);
  local_params.theta = rope_theta(config, "sliding_attention", "local_rope_theta", 10'000.0);
  const std::vector<bool> local = read_local_layers(config, n_layers);

  // Heads saved with ModernBertFor* carry the "model." prefix; a bare ModernBertModel has none.
  const std::string p = weights.has("model.embeddings.tok_embeddings.weight") ? "model." : "";
  LinearPacker packer(options.weights, options.packed_cache);
  auto lin = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
    return read_linear(weights, packer, {name + ".weight", bias ? name + ".bias" : "", in, out, false, ""});
  };
  auto norm = [&](const std::string& name) {
    return Norm{NormKind::layer_norm, weights.f32(name + ".weight", {C}),
                norm_bias ? weights.f32(name + ".bias", {C}) : nullptr, eps};
  };
  const std::string embeddings = p + "embeddings.tok_embeddings.weight";
  s.word_embeddings = weights.f32(embeddings, {V, C});
  s.embed_norm = norm(p + "embeddings.norm");
  for (int64_t l = 0; l < n_layers; ++l) {
    const std::string q = p + "layers." + std::to_string(l) + ".";
    ModernBertLayer L;
    if (l > 0) L.attn_norm = norm(q + "attn_norm");
    L.wqkv = lin(q + "attn.Wqkv", C, 3 * C, attention_bias);
    L.wo = lin(q + "attn.Wo", C, C, attention_bias);
    L.mlp_norm = norm(q + "mlp_norm");
    // Wi holds [input | gate]: act(input) * gate, which is the fused layout's act(first) * second.
    L.mlp.gated = true;
    L.mlp.fused_gate_up = true;
    L.mlp.act = act;
    L.mlp.inner = F;
    L.mlp.gate = lin(q + "mlp.Wi", C, 2 * F, mlp_bias);
    L.mlp.down = lin(q + "mlp.Wo", F, C, mlp_bias);
    L.local = local[l];
    s.layers.push_back(L);
  }
  s.final_norm = norm(p + "final_norm");

  if (head == EncoderHead::masked_lm) {
    require_head_tensors(weights, config, "masked-LM", {"head.dense.weight"});
    const bool tied = config.get_bool("tie_word_embeddings", true);
    if (!tied) require_head_tensors(weights, config, "masked-LM", {"decoder.weight"});
    s.decoder = read_linear(weights, packer, {tied ? embeddings : "decoder.weight", decoder_bias ? "decoder.bias" : "",
                                              C, V, false, "decoder.weight"});
  } else {
    require_head_tensors(weights, config, "sequence-classification", {"head.dense.weight", "classifier.weight"});
    I.labels = read_labels(config);
    I.problem_type = config.get_string("problem_type", "");
    s.classifier = lin("classifier", C, static_cast<int64_t>(I.labels.size()), true);
  }
  s.head.dense = lin("head.dense", C, C, classifier_bias);
  s.head.act = head_act;
  s.head.norm = norm("head.norm");
  return std::make_unique<ModernBert>(std::move(s), Rope(global_params), Rope(local_params), std::move(weights),
                                      std::move(packer));
}

}  // namespace tokprob
