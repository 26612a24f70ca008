#include "models/bart.hpp"

#include <cmath>
#include <cstring>
#include <optional>

#include "kernels/linear_packer.hpp"
#include "models/blocks/feed_forward.hpp"
#include "models/blocks/norm.hpp"
#include "models/blocks/sinusoidal_positions.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/encoder_decoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct BartAttention {
  LinearWeights q, k, v, o;  // each [d_model] -> [d_model], with biases
};

struct BartLayer {
  Norm self_norm;
  BartAttention self;
  Norm cross_norm;  // decoder only
  BartAttention cross;
  Norm ffn_norm;  // final_layer_norm
  FeedForwardWeights ffn;
};

// One stack (encoder or decoder): its embeddings' extras and its layers.
struct BartStack {
  int64_t heads = 0;
  const float* embed_tokens = nullptr;  // [vocab, d_model]
  const float* positions = nullptr;  // [max_position_embeddings + offset, d_model]
  Norm embed_norm;                   // layernorm_embedding; unset for Marian
  Norm final_norm;                   // mBART's layer_norm; unset for BART
  std::vector<BartLayer> layers;
};

// The key's id (null: none); an absent key takes the config class's default (BartConfig's are
// written out by every save; MarianConfig's are Helsinki-NLP's 58100-word vocabulary's).
std::optional<int32_t> optional_id(const Config& config, const std::string& key,
                                   std::optional<int32_t> absent = std::nullopt) {
  if (!config.has(key)) return config.json().contains(key) ? std::nullopt : absent;
  return static_cast<int32_t>(config.get_int(key));
}

// MarianConfig's defaults of the ids its config.json may leave out.
std::optional<int32_t> marian_default(const std::string& key) {
  if (key == "pad_token_id" || key == "decoder_start_token_id") return 58100;
  if (key == "eos_token_id" || key == "forced_eos_token_id") return 0;
  return std::nullopt;
}

class Bart final : public Seq2SeqLayers {
 public:
  Bart(const Config& config, Weights weights, const ModelLoadOptions& options, Seq2SeqSpec& spec)
      : weights_(std::move(weights)), packer_(options.weights, options.packed_cache) {
    const std::string file = config.file().string();
    const std::string type = config.model_type();
    pre_norm_ = type == "mbart";
    marian_ = type == "marian";
    // BART's learned positions start at row 2; Marian's sinusoidal table at row 0.
    position_offset_ = marian_ ? 0 : 2;
    d_ = config.get_size("d_model");
    const int64_t vocab = config.get_size("vocab_size");
    max_positions_ = config.get_size("max_position_embeddings");
    act_ = parse_activation(config.get_string("activation_function", "gelu"), file + " activation_function");
    // math.sqrt(d_model) of the reference, multiplied in float32.
    embed_scale_ = config.get_bool("scale_embedding", false) ? static_cast<float>(std::sqrt(static_cast<double>(d_)))
                                                             : 1.0f;
    const auto id = [&](const std::string& key) {
      return marian_ ? optional_id(config, key, marian_default(key)) : optional_id(config, key);
    };

    // BartModel's tensors sit under "model."; a bare BartModel checkpoint has none.
    p_ = weights_.has("model.shared.weight") || weights_.has("model.encoder.embed_positions.weight") ||
                 weights_.has("model.encoder.embed_tokens.weight")
             ? "model."
             : "";
    const bool tied = config.get_bool("tie_word_embeddings", true);
    const Embeddings e = marian_ ? marian_embeddings(config, vocab, tied) : bart_embeddings(vocab, tied);
    const int64_t target_vocab = e.head_rows;

    Seq2SeqInfo& info = spec.info;
    info.model_type = type;
    info.architecture = config.first_architecture();
    info.vocab_size = target_vocab;
    info.max_positions = max_positions_;
    info.hidden_size = d_;
    info.bos_token_id = id("bos_token_id");
    info.eos_token_id = id("eos_token_id");
    info.pad_token_id = id("pad_token_id");
    info.forced_bos_token_id = id("forced_bos_token_id");
    info.forced_eos_token_id = id("forced_eos_token_id");
    // generate() starts with decoder_start_token_id, else bos_token_id (mBART's config has none).
    const auto start = config.has("decoder_start_token_id") || marian_ ? id("decoder_start_token_id") : info.bos_token_id;
    if (!start) fail(file + ": neither decoder_start_token_id nor bos_token_id is set");
    info.decoder_start_token_id = *start;
    for (const auto& [key, token] : {std::pair{"decoder_start_token_id", start}, {"forced_bos_token_id", info.forced_bos_token_id},
                                     {"forced_eos_token_id", info.forced_eos_token_id}})
      if (token && (*token < 0 || *token >= target_vocab))
        fail(file + ": " + key + " " + std::to_string(*token) + " is outside the vocabulary (" +
             (target_vocab == vocab ? "vocab_size " : "decoder_vocab_size ") + std::to_string(target_vocab) + ")");

    if (e.head == "lm_head.weight")
      spec.head = read_linear(weights_, packer_, {"lm_head.weight", "", d_, target_vocab, false, ""});
    else  // the head packs the embedding's stored bytes; the embedding itself stays fp32
      spec.head = read_linear(weights_, packer_, {e.head, "", d_, target_vocab, false, "lm_head.weight"});
    // A checkpoint may leave the (zero-initialised) bias out; the reference loads it as zeros then.
    if (weights_.has("final_logits_bias")) spec.logits_bias = weights_.f32("final_logits_bias", {1, target_vocab});

    encoder_ = read_stack(config, "encoder", false);
    decoder_ = read_stack(config, "decoder", true);
    encoder_.embed_tokens = weights_.f32(e.encoder, {vocab, d_});
    decoder_.embed_tokens = weights_.f32(e.decoder, {e.decoder_rows, d_});
    spec.encoder_layers = static_cast<int64_t>(encoder_.layers.size());
    spec.decoder_layers = static_cast<int64_t>(decoder_.layers.size());
    spec.self_kv_dim = spec.cross_kv_dim = d_;
    spec.max_source_positions = spec.max_target_positions = max_positions_;
    spec.max_positions_key = "max_position_embeddings";
    spec.source_vocab_size = vocab;
  }

  // The self-attention sublayer of either stack (norm placement, q/k/v/o, residual); `attend`
  // is the stack's own attention over the rows (the decoder's reads and extends its cache).
  template <class Attend>
  void self_attention_block(const BartLayer& L, float* x, int64_t T, float* h, Attend attend) const {
    std::vector<float> q(T * d_), k(T * d_), v(T * d_), att(T * d_);
    const float* in = before(L.self_norm, x, T, h);
    linear(in, T, L.self.q, q.data());
    linear(in, T, L.self.k, k.data());
    linear(in, T, L.self.v, v.data());
    attend(q.data(), k.data(), v.data(), att.data());
    linear(att.data(), T, L.self.o, x, /*accumulate=*/true);
    after(L.self_norm, x, T);
  }

  void encoder_embed(const SourceRows& rows, float* x) const override { embed(encoder_, rows, x); }

  void encoder_layer(int64_t l, const SourceRows& rows, float* x) const override {
    const BartLayer& L = encoder_.layers[l];
    const int64_t T = rows.count();
    std::vector<float> h(T * d_);
    self_attention_block(L, x, T, h.data(), [&](const float* q, const float* k, const float* v, float* att) {
      rows.self_attention(q, d_, k, v, d_, shape(encoder_, false), att, d_);
    });
    feed_forward(L, x, T, h.data());
  }

  void encoder_final_norm(float* x, int64_t rows) const override {
    if (encoder_.final_norm) encoder_.final_norm.apply(x, rows, d_, x);
  }

  void cross_keys_values(int64_t l, const float* memory, int64_t rows, float* k, float* v) const override {
    linear(memory, rows, decoder_.layers[l].cross.k, k);
    linear(memory, rows, decoder_.layers[l].cross.v, v);
  }

  void decoder_embed(const TargetRows& rows, float* x) const override { embed(decoder_, rows, x); }

  void decoder_layer(int64_t l, const TargetRows& rows, float* x) const override {
    const BartLayer& L = decoder_.layers[l];
    const int64_t T = rows.count();
    std::vector<float> h(T * d_);
    self_attention_block(L, x, T, h.data(), [&](const float* q, const float* k, const float* v, float* att) {
      rows.self_attention(l, q, d_, k, v, d_, shape(decoder_, true), att, d_);
    });

    std::vector<float> q(T * d_), att(T * d_);
    const float* in = before(L.cross_norm, x, T, h.data());
    linear(in, T, L.cross.q, q.data());
    rows.cross_attention(l, q.data(), d_, shape(decoder_, false), att.data(), d_);
    linear(att.data(), T, L.cross.o, x, /*accumulate=*/true);
    after(L.cross_norm, x, T);
    feed_forward(L, x, T, h.data());
  }

  void decoder_final_norm(float* x, int64_t rows) const override {
    if (decoder_.final_norm) decoder_.final_norm.apply(x, rows, d_, x);
  }

 private:
  // Which tensors hold each stack's token embeddings and the LM head, and their rows.
  struct Embeddings {
    std::string encoder, decoder, head;
    int64_t decoder_rows = 0, head_rows = 0;
  };

  Embeddings bart_embeddings(int64_t vocab, bool tied) const {
    const std::string shared = weights_.has(p_ + "shared.weight")                 ? p_ + "shared.weight"
                               : weights_.has(p_ + "encoder.embed_tokens.weight") ? p_ + "encoder.embed_tokens.weight"
                                                                                  : p_ + "shared.weight";
    // Untied, each stack reads its own embed_tokens (the reference unties those too), where stored.
    const auto own = [&](const std::string& stack) {
      const std::string name = p_ + stack + ".embed_tokens.weight";
      return !tied && weights_.has(name) ? name : shared;
    };
    return {own("encoder"), own("decoder"), !tied || weights_.has("lm_head.weight") ? "lm_head.weight" : shared, vocab,
            vocab};
  }

  // MarianMTModel: with share_encoder_decoder_embeddings, `shared` serves both stacks and the head
  // when tied; untied, each stack and the head have their own. Without sharing, the decoder and
  // the head have decoder_vocab_size rows and the head is tied to the decoder's embeddings.
  Embeddings marian_embeddings(const Config& config, int64_t vocab, bool tied) const {
    const std::string file = config.file().string();
    const bool share = config.get_bool("share_encoder_decoder_embeddings", true);
    const int64_t decoder_vocab = config.has("decoder_vocab_size") ? config.get_size("decoder_vocab_size") : vocab;
    if (share && !tied && decoder_vocab != vocab)
      fail(file + ": decoder_vocab_size " + std::to_string(decoder_vocab) + " differs from vocab_size " +
           std::to_string(vocab) + " with shared but untied embeddings (the head would give ids the decoder cannot read); not supported");
    const std::string shared = p_ + "shared.weight", enc = p_ + "encoder.embed_tokens.weight",
                      dec = p_ + "decoder.embed_tokens.weight";
    if (share && tied) return {shared, shared, shared, vocab, vocab};
    if (share) return {enc, dec, "lm_head.weight", vocab, vocab};
    return {enc, dec, tied ? dec : "lm_head.weight", decoder_vocab, decoder_vocab};
  }

  const float* w(const std::string& name, const std::vector<int64_t>& shape) { return weights_.f32(name, shape); }

  Norm layer_norm(const std::string& name) {
    // nn.LayerNorm's default epsilon; BART's configs have no key for it.
    return {NormKind::layer_norm, w(name + ".weight", {d_}), w(name + ".bias", {d_}), 1e-5f};
  }

  LinearWeights lin(const std::string& name, int64_t in, int64_t out) {
    return read_linear(weights_, packer_, {name + ".weight", name + ".bias", in, out, false, ""});
  }

  BartAttention attention_weights(const std::string& p) {
    return {lin(p + "q_proj", d_, d_), lin(p + "k_proj", d_, d_), lin(p + "v_proj", d_, d_),
            lin(p + "out_proj", d_, d_)};
  }

  BartStack read_stack(const Config& config, const std::string& name, bool decoder) {
    const std::string file = config.file().string();
    BartStack s;
    s.heads = config.get_size(name + "_attention_heads");
    if (d_ % s.heads != 0)
      fail(file + ": d_model (" + std::to_string(d_) + ") is not a multiple of " + name + "_attention_heads (" +
           std::to_string(s.heads) + ")");
    const int64_t n = config.get_size(name + "_layers"), ffn = config.get_size(name + "_ffn_dim");
    const std::string p = p_ + name + ".";
    if (!marian_) {
      s.positions = w(p + "embed_positions.weight", {max_positions_ + 2, d_});
      s.embed_norm = layer_norm(p + "layernorm_embedding");
    } else if (weights_.has(p + "embed_positions.weight")) {  // older checkpoints saved the table
      s.positions = w(p + "embed_positions.weight", {max_positions_, d_});
    } else {
      if (sinusoids_.empty()) sinusoids_ = half_split_sinusoidal_positions(max_positions_, d_);
      s.positions = sinusoids_.data();
    }
    if (pre_norm_) s.final_norm = layer_norm(p + "layer_norm");
    for (int64_t l = 0; l < n; ++l) {
      const std::string lp = p + "layers." + std::to_string(l) + ".";
      BartLayer L{};
      L.self_norm = layer_norm(lp + "self_attn_layer_norm");
      L.self = attention_weights(lp + "self_attn.");
      if (decoder) {
        L.cross_norm = layer_norm(lp + "encoder_attn_layer_norm");
        L.cross = attention_weights(lp + "encoder_attn.");
      }
      L.ffn_norm = layer_norm(lp + "final_layer_norm");
      L.ffn = {false, act_, ffn, {}, lin(lp + "fc1", d_, ffn), lin(lp + "fc2", ffn, d_)};
      s.layers.push_back(L);
    }
    return s;
  }

  AttentionShape shape(const BartStack& s, bool causal) const {
    const int64_t head_dim = d_ / s.heads;
    // head_dim ** -0.5 in Python, a float32 factor of the scores.
    return {s.heads, s.heads, head_dim, static_cast<float>(std::pow(static_cast<double>(head_dim), -0.5)), causal};
  }

  // x: [T, d_model] = shared(id) * embed_scale + positions(position + offset), then
  // layernorm_embedding (none in Marian).
  void embed(const BartStack& s, const PackedRows& rows, float* x) const {
    for (int64_t r = 0; r < rows.count(); ++r) {
      const float* e = s.embed_tokens + static_cast<int64_t>(rows.id(r)) * d_;
      const float* pos = s.positions + (rows.position(r) + position_offset_) * d_;
      for (int64_t c = 0; c < d_; ++c) x[r * d_ + c] = e[c] * embed_scale_ + pos[c];
    }
    if (s.embed_norm) s.embed_norm.apply(x, rows.count(), d_, x);
  }

  // The block's input: the normed stream (mBART) or the stream itself (BART).
  const float* before(const Norm& n, const float* x, int64_t T, float* h) const {
    if (!pre_norm_) return x;
    n.apply(x, T, d_, h);
    return h;
  }
  // BART normalises the sum of the residual and the block.
  void after(const Norm& n, float* x, int64_t T) const {
    if (!pre_norm_) n.apply(x, T, d_, x);
  }

  // x += fc2(act(fc1(x or norm(x)))), then the post-norm; h: [T, d_model] scratch
  void feed_forward(const BartLayer& L, float* x, int64_t T, float* h) const {
    if (pre_norm_)
      L.ffn_norm.apply(x, T, d_, h);
    else
      std::memcpy(h, x, T * d_ * sizeof(float));
    feed_forward_block(L.ffn, h, T, x);
    after(L.ffn_norm, x, T);
  }

  Weights weights_;
  LinearPacker packer_;
  bool pre_norm_ = false, marian_ = false;
  int64_t d_ = 0, max_positions_ = 0, position_offset_ = 2;
  std::vector<float> sinusoids_;  // Marian's table, shared by both stacks, when not stored
  Activation act_ = Activation::gelu_erf;
  float embed_scale_ = 1.0f;
  std::string p_;
  BartStack encoder_, decoder_;
};

}  // namespace

std::unique_ptr<Seq2SeqLM> load_bart(const Config& config, Weights weights, const ModelLoadOptions& options) {
  Seq2SeqSpec spec;
  auto layers = std::make_unique<Bart>(config, std::move(weights), options, spec);
  return make_encoder_decoder(std::move(spec), std::move(layers));
}

}  // namespace tokprob
