#include "models/deberta_v2.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/linear.hpp"
#include "kernels/norms.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/encoder_info_config.hpp"
#include "models/head_size.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

int64_t deberta_log_bucket(int64_t relative, int64_t bucket_size, int64_t max_position) {
  const int64_t mid = bucket_size / 2;
  const int64_t abs_pos = relative < mid && relative > -mid ? mid - 1 : std::abs(relative);
  if (abs_pos <= mid) return relative;
  if (max_position - 1 == mid)  // the reference divides by log(1) = 0 there and casts the infinity
    fail("position_buckets " + std::to_string(bucket_size) + " with max_relative_positions " +
         std::to_string(max_position) + " has no log buckets (max_relative_positions - 1 = position_buckets / 2), " +
         "and this sequence needs them");
  // The reference divides int64 tensors into float32 and takes the log of max_position's ratio from
  // a Python float made float32: the same roundings here, so that ceil lands where it does there.
  const float ratio = static_cast<float>(abs_pos) / static_cast<float>(mid);
  const auto max_ratio = static_cast<float>(static_cast<double>(max_position - 1) / static_cast<double>(mid));
  const float log_pos =
      std::ceil(std::log(ratio) / std::log(max_ratio) * static_cast<float>(mid - 1)) + static_cast<float>(mid);
  return static_cast<int64_t>(relative > 0 ? log_pos : -log_pos);
}

namespace {

// The relative-position side of disentangled attention, computed once at load: the position
// embeddings projected by each layer's keys (c2p) and queries (p2c), which depend on no input.
class DisentangledBias {
 public:
  int64_t span = 0;             // rows 0 .. 2*span - 1 of the projected embeddings
  int64_t buckets = 0;          // position_buckets; <= 0: relative positions clamped, not bucketed
  int64_t max_relative = 0;     // max_relative_positions (max_position_embeddings when < 1)
  int64_t heads = 0, head_dim = 0, hidden = 0;
  float scale = 1.0f;           // 1 / sqrt(head_dim * scale_factor)
  std::vector<std::vector<float>> pos_key, pos_query;  // per layer, [2*span, C]; empty when unused

  // Row of the projected embeddings that query i and key j read: both terms read the same one,
  // as the reference's bucket is odd in the relative position.
  int64_t index(int64_t i, int64_t j) const {
    const int64_t rel = buckets > 0 ? deberta_log_bucket(i - j, buckets, max_relative) : i - j;
    return std::clamp<int64_t>(rel + span, 0, 2 * span - 1);
  }

  // bias[h, i, j] = (q_i · pos_key[index] + k_j · pos_query[index]) * scale, each term scaled alone
  // as the reference does.
  void operator()(int64_t layer, const float* q, const float* k, int64_t stride, int64_t n, float* bias) const {
    const auto& pk = pos_key[layer];
    const auto& pq = pos_query[layer];
    std::vector<int64_t> idx(n * n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) idx[i * n + j] = index(i, j);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const int64_t r = idx[i * n + j];
          float c2p = 0.0f, p2c = 0.0f;
          if (!pk.empty()) {
            const float *a = q + i * stride + h * head_dim, *b = &pk[r * hidden + h * head_dim];
            for (int64_t d = 0; d < head_dim; ++d) c2p += a[d] * b[d];
          }
          if (!pq.empty()) {
            const float *a = k + j * stride + h * head_dim, *b = &pq[r * hidden + h * head_dim];
            for (int64_t d = 0; d < head_dim; ++d) p2c += a[d] * b[d];
          }
          bias[(h * n + i) * n + j] = c2p * scale + p2c * scale;
        }
  }
};

// "a|b" as the config class reads such strings: lowercased, split at '|', each part stripped.
std::vector<std::string> split_bars(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t bar = std::min(s.find('|', start), s.size());
    const std::string part = s.substr(start, bar - start);
    const auto first = part.find_first_not_of(" \t\n\r"), last = part.find_last_not_of(" \t\n\r");
    parts.push_back(first == std::string::npos ? "" : part.substr(first, last - first + 1));
    start = bar + 1;
  }
  return parts;
}

// pos_att_type as a list, or the older "p2c|c2p" string.
std::vector<std::string> read_pos_att_type(const Config& config) {
  std::vector<std::string> types;
  if (!config.has("pos_att_type")) return types;
  const auto& v = config.json()["pos_att_type"];
  if (v.is_string()) return split_bars(v.get<std::string>());
  if (!v.is_array()) fail(config.file().string() + ": pos_att_type must be a list or a '|'-separated string");
  for (const auto& t : v) {
    if (!t.is_string()) fail(config.file().string() + ": pos_att_type entries must be strings");
    types.push_back(t.get<std::string>());
  }
  return types;
}

}  // namespace

std::unique_ptr<EncoderModel> load_deberta_v2(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options) {
  const std::string file = config.file().string();
  PostLnEncoderSpec s;
  const int64_t C = s.hidden = config.get_size("hidden_size");
  const int64_t H = s.heads = config.get_size("num_attention_heads");
  s.inner = config.get_size("intermediate_size");
  const int64_t n_layers = config.get_size("num_hidden_layers");
  s.eps = static_cast<float>(config.get_nonnegative("layer_norm_eps", 1e-7));
  s.act = parse_activation(config.get_string("hidden_act", "gelu"), file + " hidden_act");
  const int64_t D = even_head_size(file, C, H);
  // Settings the reference reads that change the computation and tokprob does not compute.
  if (config.get_int("conv_kernel_size", 0) > 0)
    fail(file + ": conv_kernel_size " + std::to_string(config.get_int("conv_kernel_size")) +
         " is not supported (DeBERTa-v2's convolution layer; only 0)");
  if (config.has("attention_head_size") && config.get_int("attention_head_size") != D)
    fail(file + ": attention_head_size " + std::to_string(config.get_int("attention_head_size")) +
         " is not supported (only hidden_size / num_attention_heads)");
  if (config.has("pooler_hidden_size") && config.get_int("pooler_hidden_size") != C)
    fail(file + ": pooler_hidden_size " + std::to_string(config.get_int("pooler_hidden_size")) +
         " is not supported (only hidden_size)");

  EncoderInfo& I = s.info = encoder_info_from_config(config, head);
  const int64_t V = I.vocab_size;
  I.max_positions = config.get_size("max_position_embeddings", 512);
  I.type_vocab_size = config.get_int("type_vocab_size", 0);
  if (I.type_vocab_size < 0) fail(file + ": type_vocab_size is negative");
  I.pad_token_id = static_cast<int32_t>(config.get_int("pad_token_id", 0));
  const int64_t E = config.get_size("embedding_size", C);
  if (E != C) s.embedding_size = E;

  // Disentangled attention: q·k is scaled by 1/sqrt(D * (1 + the number of position terms named)),
  // whether relative attention is on or not.
  const std::vector<std::string> pos_att = read_pos_att_type(config);
  const bool c2p = std::count(pos_att.begin(), pos_att.end(), "c2p") > 0,
             p2c = std::count(pos_att.begin(), pos_att.end(), "p2c") > 0;
  const float scale_factor = 1.0f + (c2p ? 1.0f : 0.0f) + (p2c ? 1.0f : 0.0f);
  s.attention_scale = 1.0f / std::sqrt(static_cast<float>(D) * scale_factor);
  const bool relative = config.get_bool("relative_attention", false);
  const bool share_att_key = config.get_bool("share_att_key", false);

  const std::string p = weights.has("deberta.embeddings.word_embeddings.weight") ? "deberta." : "";
  LinearPacker packer(options.weights, options.packed_cache);
  const EncoderTensors r{weights, packer};
  s.word_embeddings_name = p + "embeddings.word_embeddings.weight";
  s.word_embeddings = r.w(s.word_embeddings_name, {V, E});
  if (config.get_bool("position_biased_input", true))
    s.position_embeddings = r.w(p + "embeddings.position_embeddings.weight", {I.max_positions, E});
  if (I.type_vocab_size > 0) s.type_embeddings = r.w(p + "embeddings.token_type_embeddings.weight", {I.type_vocab_size, E});
  if (s.embedding_size > 0)
    s.embed_proj = read_linear(weights, packer, {p + "embeddings.embed_proj.weight", "", E, C, false, ""});
  std::tie(s.embed_norm_g, s.embed_norm_b) = r.norm(p + "embeddings.LayerNorm", C);

  std::vector<LinearWeights> pos_key_proj(n_layers), pos_query_proj(n_layers);
  for (int64_t l = 0; l < n_layers; ++l) {
    const std::string q = p + "encoder.layer." + std::to_string(l) + ".";
    PostLnLayer L;
    L.query = r.linear(q + "attention.self.query_proj", C, C);
    L.key = r.linear(q + "attention.self.key_proj", C, C);
    L.value = r.linear(q + "attention.self.value_proj", C, C);
    L.attn_out = r.linear(q + "attention.output.dense", C, C);
    std::tie(L.attn_norm_g, L.attn_norm_b) = r.norm(q + "attention.output.LayerNorm", C);
    L.ffn_in = r.linear(q + "intermediate.dense", C, s.inner);
    L.ffn_out = r.linear(q + "output.dense", s.inner, C);
    std::tie(L.ffn_norm_g, L.ffn_norm_b) = r.norm(q + "output.LayerNorm", C);
    if (relative && c2p) pos_key_proj[l] = share_att_key ? L.key : r.linear(q + "attention.self.pos_key_proj", C, C);
    if (relative && p2c)
      pos_query_proj[l] = share_att_key ? L.query : r.linear(q + "attention.self.pos_query_proj", C, C);
    s.layers.push_back(L);
  }

  if (relative && (c2p || p2c)) {
    DisentangledBias b;
    b.max_relative = config.get_int("max_relative_positions", -1);
    if (b.max_relative < 1) b.max_relative = I.max_positions;
    b.buckets = config.get_int("position_buckets", -1);
    if (b.buckets == 1)  // the reference divides by position_buckets / 2 = 0
      fail(file + ": position_buckets 1 is not supported (the reference divides by position_buckets / 2)");
    b.span = b.buckets > 0 ? b.buckets : b.max_relative;
    b.heads = H;
    b.head_dim = D;
    b.hidden = C;
    b.scale = 1.0f / std::sqrt(static_cast<float>(D) * scale_factor);
    const int64_t rows = 2 * b.span;
    const float* stored = r.w(p + "encoder.rel_embeddings.weight", {rows, C});
    std::vector<float> rel(stored, stored + rows * C);
    const auto norm_rel = split_bars(config.get_string("norm_rel_ebd", "none"));
    if (std::count(norm_rel.begin(), norm_rel.end(), "layer_norm") > 0) {
      const auto [g, beta] = r.norm(p + "encoder.LayerNorm", C);
      layer_norm(rel.data(), rows, C, g, beta, s.eps, rel.data());
    }
    for (int64_t l = 0; l < n_layers; ++l) {
      std::vector<float> pk, pq;
      if (c2p) {
        pk.resize(rows * C);
        linear(rel.data(), rows, pos_key_proj[l], pk.data());
      }
      if (p2c) {
        pq.resize(rows * C);
        linear(rel.data(), rows, pos_query_proj[l], pq.data());
      }
      b.pos_key.push_back(std::move(pk));
      b.pos_query.push_back(std::move(pq));
    }
    s.attention_bias = std::move(b);
  }

  if (head == EncoderHead::masked_lm) {
    MlmHeadWeights m;
    m.act = s.act;
    m.eps = s.eps;
    if (config.get_bool("legacy", true)) {
      // LegacyDebertaV2OnlyMLMHead: dense C -> E, LayerNorm over E, a decoder tied to the word
      // embeddings whose bias is cls.predictions.bias.
      require_head_tensors(weights, config, "masked-LM (legacy, cls.predictions)",
                           {"cls.predictions.transform.dense.weight", "cls.predictions.bias"});
      const bool tied = config.get_bool("tie_word_embeddings", true);
      if (!tied) require_head_tensors(weights, config, "masked-LM", {"cls.predictions.decoder.weight"});
      m.transform = r.linear("cls.predictions.transform.dense", C, E);
      std::tie(m.norm_g, m.norm_b) = r.norm("cls.predictions.transform.LayerNorm", E);
      const std::string bias = weights.has("cls.predictions.decoder.bias") && !tied ? "cls.predictions.decoder.bias"
                                                                                      : "cls.predictions.bias";
      m.decoder = read_linear(weights, packer, {tied ? s.word_embeddings_name : "cls.predictions.decoder.weight", bias,
                                                E, V, false, "cls.predictions.decoder.weight"});
    } else {
      // DebertaV2OnlyMLMHead (legacy false): dense C -> C, LayerNorm, then the word embeddings
      // themselves, whatever tie_word_embeddings says, plus lm_head.bias.
      if (E != C)
        fail(file + ": embedding_size " + std::to_string(E) + " differs from hidden_size " + std::to_string(C) +
             ", which the non-legacy masked-LM head cannot take");
      require_head_tensors(weights, config, "masked-LM (lm_predictions)",
                           {"lm_predictions.lm_head.dense.weight", "lm_predictions.lm_head.bias"});
      m.transform = r.linear("lm_predictions.lm_head.dense", C, C);
      std::tie(m.norm_g, m.norm_b) = r.norm("lm_predictions.lm_head.LayerNorm", C);
      m.decoder = read_linear(weights, packer,
                              {s.word_embeddings_name, "lm_predictions.lm_head.bias", C, V, false, "lm_predictions.lm_head.decoder"});
    }
    s.mlm = m;
  } else {
    // ContextPooler on the first token (dense, pooler_hidden_act), then the classifier.
    const Activation pooler_act = parse_activation(config.get_string("pooler_hidden_act", "gelu"), file + " pooler_hidden_act");
    s.classifier = read_classifier_head(config, r, C, "pooler.dense", pooler_act,
                                        "classifier", I);
  }
  return make_post_ln_encoder(std::move(s), std::move(weights), std::move(packer));
}

}  // namespace tokprob
