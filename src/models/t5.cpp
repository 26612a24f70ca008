#include "models/t5.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "models/blocks/stored_linear.hpp"
#include "kernels/norms.hpp"
#include "models/encoder_decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional, int64_t num_buckets,
                                    int64_t max_distance) {
  int64_t bucket = 0;
  int64_t distance = 0;
  if (bidirectional) {
    num_buckets /= 2;
    if (relative_position > 0) bucket += num_buckets;
    distance = relative_position < 0 ? -relative_position : relative_position;
  } else {
    distance = relative_position < 0 ? -relative_position : 0;
  }
  const int64_t max_exact = num_buckets / 2;
  if (distance < max_exact) return bucket + distance;
  // float32 step by step, as the reference computes it, so that distances on a bucket boundary
  // truncate the same way.
  const float ratio = static_cast<float>(distance) / static_cast<float>(max_exact);
  const float log_range = static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  const float scaled = std::log(ratio) / log_range * static_cast<float>(num_buckets - max_exact);
  // Past the last bucket (or NaN for arguments the model rejects) converts no float to int.
  const float room = static_cast<float>(num_buckets - 1 - max_exact);
  const int64_t large = scaled < room ? max_exact + static_cast<int64_t>(scaled) : num_buckets - 1;
  return bucket + large;
}

namespace {

struct T5Attention {
  LinearWeights q, k, v, o;
};

struct T5FeedForward {
  LinearWeights wi;     // relu: the only input projection; gated: the gate (wi_0)
  LinearWeights wi_up;  // gated only: the linear half (wi_1)
  LinearWeights wo;
};

struct T5EncoderLayer {
  const float* ln_attn;
  T5Attention attn;
  const float* ln_ff;
  T5FeedForward ff;
};

struct T5DecoderLayer {
  const float* ln_self;
  T5Attention self;
  const float* ln_cross;
  T5Attention cross;
  const float* ln_ff;
  T5FeedForward ff;
};

class T5 final : public Seq2SeqLayers {
 public:
  T5(const Config& config, Weights weights, const ModelLoadOptions& options, Seq2SeqSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    d_model_ = config.get_size("d_model");
    d_kv_ = config.get_size("d_kv");
    heads_ = config.get_size("num_heads");
    d_ff_ = config.get_size("d_ff");
    const int64_t n_enc = config.get_size("num_layers");
    const int64_t n_dec = config.get_size("num_decoder_layers", n_enc);
    const int64_t vocab = config.get_size("vocab_size");
    buckets_ = config.get_size("relative_attention_num_buckets", 32);
    max_distance_ = config.get_size("relative_attention_max_distance", 128);
    eps_ = static_cast<float>(config.get_nonnegative("layer_norm_epsilon", 1e-6));
    // The decoder output is scaled by d_model^-0.5 before the head as transformers 5 does it: T5
    // when "scale_decoder_outputs" (5.x saves it: true unless tie_word_embeddings was false) or, in
    // a config without it, when tie_word_embeddings (4.x's rule, default true); mT5 never (5.x
    // always ties its head in memory and never scales; 4.x scaled a tied mT5, which real mT5
    // checkpoints, untied, never are). The head is the checkpoint's lm_head.weight where present,
    // else the shared embeddings, which both versions' files agree on.
    bool scale_output = true;
    if (config.model_type() == "mt5")
      scale_output = false;
    else if (config.has("scale_decoder_outputs"))
      scale_output = config.get_bool("scale_decoder_outputs", true);
    else
      scale_output = config.get_bool("tie_word_embeddings", true);
    inner_ = heads_ * d_kv_;
    // The bucket rule takes the log of distance / max_exact over max_distance / max_exact, where
    // max_exact is a quarter of the buckets (encoder) or a half (decoder): anything less divides
    // by zero or inverts the scale (the reference indexes out of its table then).
    if (buckets_ < 4) fail(file + ": relative_attention_num_buckets must be at least 4, got " + std::to_string(buckets_));
    if (max_distance_ <= buckets_ / 2)
      fail(file + ": relative_attention_max_distance (" + std::to_string(max_distance_) +
           ") must exceed half of relative_attention_num_buckets (" + std::to_string(buckets_) + ")");
    parse_feed_forward(config);

    Seq2SeqInfo& info = spec.info;
    info.model_type = config.model_type();
    info.architecture = config.first_architecture();
    info.vocab_size = vocab;
    info.max_positions = 0;  // relative positions: no fixed limit
    info.hidden_size = d_model_;
    info.eos_token_id = optional_id(config, "eos_token_id");
    info.pad_token_id = optional_id(config, "pad_token_id");
    info.bos_token_id = optional_id(config, "bos_token_id");
    if (auto start = optional_id(config, "decoder_start_token_id"))
      info.decoder_start_token_id = *start;
    else
      info.decoder_start_token_id = info.pad_token_id.value_or(0);
    if (info.decoder_start_token_id < 0 || info.decoder_start_token_id >= vocab)
      fail(file + ": decoder_start_token_id " + std::to_string(info.decoder_start_token_id) +
           " is outside the vocabulary (vocab_size " + std::to_string(vocab) + ")");
    spec.encoder_layers = n_enc;
    spec.decoder_layers = n_dec;
    spec.self_kv_dim = spec.cross_kv_dim = inner_;

    const int64_t d = d_model_;
    // The encoder's and decoder's embed_tokens are the shared matrix; a checkpoint may keep only a copy.
    const std::string embed_name = weights_.has("shared.weight")             ? "shared.weight"
                                   : weights_.has("encoder.embed_tokens.weight") ? "encoder.embed_tokens.weight"
                                                                                 : "shared.weight";
    embed_ = w(embed_name, {vocab, d});
    // A 4.x config with an untied head must have the head (read_linear names it when missing).
    const bool untied = !config.json().contains("scale_decoder_outputs") && !config.get_bool("tie_word_embeddings", true);
    if (weights_.has("lm_head.weight") || untied)
      spec.head = read_linear(weights_, packer_, {"lm_head.weight", "", d, vocab, false, ""});
    else  // the head packs the embedding's stored bytes; the embedding itself stays fp32
      spec.head = read_linear(weights_, packer_, {embed_name, "", d, vocab, false, "shared.weight"});
    // Python's d_model ** -0.5, applied in float32.
    head_scale_ = scale_output ? static_cast<float>(std::pow(static_cast<double>(d), -0.5)) : 1.0f;
    enc_bias_table_ = w("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", {buckets_, heads_});
    dec_bias_table_ = w("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", {buckets_, heads_});
    enc_final_ln_ = w("encoder.final_layer_norm.weight", {d});
    dec_final_ln_ = w("decoder.final_layer_norm.weight", {d});
    for (int64_t l = 0; l < n_enc; ++l) {
      const std::string p = "encoder.block." + std::to_string(l) + ".layer.";
      T5EncoderLayer L{};
      L.ln_attn = w(p + "0.layer_norm.weight", {d});
      L.attn = attention_weights(p + "0.SelfAttention.");
      L.ln_ff = w(p + "1.layer_norm.weight", {d});
      L.ff = feed_forward_weights(p + "1.DenseReluDense.");
      enc_layers_.push_back(L);
    }
    for (int64_t l = 0; l < n_dec; ++l) {
      const std::string p = "decoder.block." + std::to_string(l) + ".layer.";
      T5DecoderLayer L{};
      L.ln_self = w(p + "0.layer_norm.weight", {d});
      L.self = attention_weights(p + "0.SelfAttention.");
      L.ln_cross = w(p + "1.layer_norm.weight", {d});
      L.cross = attention_weights(p + "1.EncDecAttention.");
      L.ln_ff = w(p + "2.layer_norm.weight", {d});
      L.ff = feed_forward_weights(p + "2.DenseReluDense.");
      dec_layers_.push_back(L);
    }
  }

  // x: [T, d_model] = shared(ids) (T5 does not scale the embeddings); one relative position bias
  // per source, shared by every layer (only layer 0 has the table).
  void encoder_embed(const SourceRows& rows, float* x) const override {
    embed(rows, x);
    for (size_t s = 0; s < rows.sequences(); ++s) {
      const int64_t n = rows.sequence_length(s);
      rows.set_self_attention_bias(s, position_bias(enc_bias_table_, /*bidirectional=*/true, 0, n, n));
    }
  }

  // x: [T, d_model] -> x += o(attn(rms(x))); x += ff(rms(x))
  void encoder_layer(int64_t l, const SourceRows& rows, float* x) const override {
    const T5EncoderLayer& L = enc_layers_[l];
    const int64_t T = rows.count();
    std::vector<float> h(T * d_model_), q(T * inner_), k(T * inner_), v(T * inner_), att(T * inner_);
    rms_norm(x, T, d_model_, L.ln_attn, eps_, h.data());
    linear(h.data(), T, L.attn.q, q.data());
    linear(h.data(), T, L.attn.k, k.data());
    linear(h.data(), T, L.attn.v, v.data());
    rows.self_attention(q.data(), inner_, k.data(), v.data(), inner_, shape(false), att.data(), inner_);
    linear(att.data(), T, L.attn.o, x, /*accumulate=*/true);
    rms_norm(x, T, d_model_, L.ln_ff, eps_, h.data());
    feed_forward(L.ff, h.data(), T, x);
  }

  void encoder_final_norm(float* x, int64_t rows) const override {
    rms_norm(x, rows, d_model_, enc_final_ln_, eps_, x);
  }

  void cross_keys_values(int64_t l, const float* memory, int64_t rows, float* k, float* v) const override {
    linear(memory, rows, dec_layers_[l].cross.k, k);
    linear(memory, rows, dec_layers_[l].cross.v, v);
  }

  void decoder_embed(const TargetRows& rows, float* x) const override {
    embed(rows, x);
    for (size_t c = 0; c < rows.sequences(); ++c) {
      const int64_t start = rows.sequence_start(c), n = rows.sequence_length(c);
      rows.set_self_attention_bias(c, position_bias(dec_bias_table_, /*bidirectional=*/false, start, n, start + n));
    }
  }

  // x: [T, d_model] -> x += o(self(rms(x))); x += o(cross(rms(x), memory)); x += ff(rms(x))
  void decoder_layer(int64_t l, const TargetRows& rows, float* x) const override {
    const T5DecoderLayer& L = dec_layers_[l];
    const int64_t T = rows.count();
    std::vector<float> h(T * d_model_), q(T * inner_), k(T * inner_), v(T * inner_), att(T * inner_);
    rms_norm(x, T, d_model_, L.ln_self, eps_, h.data());
    linear(h.data(), T, L.self.q, q.data());
    linear(h.data(), T, L.self.k, k.data());
    linear(h.data(), T, L.self.v, v.data());
    rows.self_attention(l, q.data(), inner_, k.data(), v.data(), inner_, shape(true), att.data(), inner_);
    linear(att.data(), T, L.self.o, x, /*accumulate=*/true);

    rms_norm(x, T, d_model_, L.ln_cross, eps_, h.data());
    linear(h.data(), T, L.cross.q, q.data());
    rows.cross_attention(l, q.data(), inner_, shape(false), att.data(), inner_);
    linear(att.data(), T, L.cross.o, x, /*accumulate=*/true);

    rms_norm(x, T, d_model_, L.ln_ff, eps_, h.data());
    feed_forward(L.ff, h.data(), T, x);
  }

  void decoder_final_norm(float* x, int64_t rows) const override {
    rms_norm(x, rows, d_model_, dec_final_ln_, eps_, x);
    if (head_scale_ != 1.0f)
      for (int64_t i = 0; i < rows * d_model_; ++i) x[i] *= head_scale_;
  }

 private:
  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  // T5 does not scale its scores.
  AttentionShape shape(bool causal) const { return {heads_, heads_, d_kv_, 1.0f, causal}; }

  static std::optional<int32_t> optional_id(const Config& config, const std::string& key) {
    if (!config.has(key)) return std::nullopt;
    const auto& j = config.json()[key];
    // Some configs list several end tokens; the first is the one a tokenizer appends.
    if (j.is_array()) {
      if (j.empty() || !j[0].is_number_integer())
        fail(config.file().string() + ": " + key + " must be an integer or a non-empty list of integers");
      return j[0].get<int32_t>();
    }
    return static_cast<int32_t>(config.get_int(key));
  }

  // feed_forward_proj is "ACT" or "gated-ACT"; "gated-gelu" means gelu_new (the reference keeps that
  // for T5 v1.1 checkpoints). Saved dense_act_fn / is_gated_act override, as they do in the reference.
  void parse_feed_forward(const Config& config) {
    const std::string file = config.file().string();
    const std::string proj = config.get_string("feed_forward_proj", "relu");
    std::string act = proj;
    gated_ = false;
    if (const auto dash = proj.find('-'); dash != std::string::npos) {
      if (proj.substr(0, dash) != "gated" || proj.find('-', dash + 1) != std::string::npos)
        fail(file + ": feed_forward_proj '" + proj + "' is not 'ACTIVATION' or 'gated-ACTIVATION'");
      gated_ = true;
      act = proj.substr(dash + 1);
      if (act == "gelu") act = "gelu_new";
    }
    if (config.has("dense_act_fn")) act = config.get_string("dense_act_fn");
    gated_ = config.get_bool("is_gated_act", gated_);
    act_ = parse_activation(act, file + " feed_forward_proj");
  }

  // name.weight [out, in], no bias (T5 has none).
  LinearWeights lin(const std::string& name, int64_t in, int64_t out) {
    return read_linear(weights_, packer_, {name + ".weight", "", in, out, false, ""});
  }

  T5Attention attention_weights(const std::string& p) {
    const int64_t d = d_model_;
    return {lin(p + "q", d, inner_), lin(p + "k", d, inner_), lin(p + "v", d, inner_), lin(p + "o", inner_, d)};
  }

  T5FeedForward feed_forward_weights(const std::string& p) {
    const int64_t d = d_model_;
    T5FeedForward f{};
    if (gated_) {
      f.wi = lin(p + "wi_0", d, d_ff_);
      f.wi_up = lin(p + "wi_1", d, d_ff_);
    } else {
      f.wi = lin(p + "wi", d, d_ff_);
    }
    f.wo = lin(p + "wo", d_ff_, d);
    return f;
  }

  // h: [T, d_model] -> x += wo(act(wi(h))) or wo(act(wi_0(h)) * wi_1(h))
  void feed_forward(const T5FeedForward& f, const float* h, int64_t T, float* x) const {
    std::vector<float> mid(T * d_ff_);
    linear(h, T, f.wi, mid.data());
    if (gated_) {
      std::vector<float> mid_up(T * d_ff_);
      linear(h, T, f.wi_up, mid_up.data());
      gated_activation(act_, mid.data(), mid_up.data(), mid.data(), T * d_ff_);
    } else {
      apply_activation(act_, mid.data(), T * d_ff_);
    }
    linear(mid.data(), T, f.wo, x, /*accumulate=*/true);
  }

  // -> [heads, n_q, n_k]: query i at position q0 + i, key j at position j.
  std::vector<float> position_bias(const float* table, bool bidirectional, int64_t q0, int64_t n_q,
                                   int64_t n_k) const {
    std::vector<float> bias(heads_ * n_q * n_k);
    for (int64_t i = 0; i < n_q; ++i)
      for (int64_t j = 0; j < n_k; ++j) {
        const int64_t b = t5_relative_position_bucket(j - (q0 + i), bidirectional, buckets_, max_distance_);
        for (int64_t hd = 0; hd < heads_; ++hd) bias[(hd * n_q + i) * n_k + j] = table[b * heads_ + hd];
      }
    return bias;
  }

  void embed(const PackedRows& rows, float* x) const {
    for (int64_t r = 0; r < rows.count(); ++r)
      std::memcpy(x + r * d_model_, embed_ + static_cast<int64_t>(rows.id(r)) * d_model_, d_model_ * sizeof(float));
  }

  Weights weights_;
  LinearPacker packer_;
  int64_t d_model_, d_kv_, heads_, d_ff_, buckets_, max_distance_, inner_;
  float eps_;
  bool gated_ = false;
  Activation act_ = Activation::relu;
  float head_scale_ = 1.0f;
  const float *embed_, *enc_bias_table_, *dec_bias_table_, *enc_final_ln_, *dec_final_ln_;
  std::vector<T5EncoderLayer> enc_layers_;
  std::vector<T5DecoderLayer> dec_layers_;
};

}  // namespace

std::unique_ptr<Seq2SeqLM> load_t5(const Config& config, Weights weights, const ModelLoadOptions& options) {
  Seq2SeqSpec spec;
  auto layers = std::make_unique<T5>(config, std::move(weights), options, spec);
  return make_encoder_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
