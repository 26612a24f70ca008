#include "models/post_ln_encoder.hpp"

#include <tuple>

#include <cmath>
#include <cstring>

#include "kernels/attention.hpp"
#include "kernels/norms.hpp"
#include "models/encoder_batch.hpp"
#include "models/blocks/stored_linear.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

class PostLnEncoder final : public EncoderModel {
 public:
  PostLnEncoder(PostLnEncoderSpec spec, Weights weights, LinearPacker packer)
      : s_(std::move(spec)), weights_(std::move(weights)), packer_(std::move(packer)) {}

  const EncoderInfo& info() const override { return s_.info; }

  // sequences: ragged batch packed into x [T, C] -> mlm logits [R, V], class logits [S, L].
  EncoderOutput forward(std::span<const EncoderSequence> seqs) const override {
    const int64_t C = s_.hidden, T = validate_encoder_batch(s_.info, s_.mlm.has_value(), seqs);
    std::vector<float> x(T * C);
    if (s_.embedding_size > 0) {  // summed in the embedding size, then projected to the hidden size
      std::vector<float> e(T * s_.embedding_size);
      embed(seqs, e.data(), s_.embedding_size);
      linear(e.data(), T, s_.embed_proj, x.data());
    } else {
      embed(seqs, x.data(), C);
    }
    layer_norm(x.data(), T, C, s_.embed_norm_g, s_.embed_norm_b, s_.eps, x.data());
    std::vector<float> q(T * C), k(T * C), v(T * C), ctx(T * C), h(T * s_.inner);
    for (size_t l = 0; l < s_.layers.size(); ++l)
      layer_forward(static_cast<int64_t>(l), s_.layers[l], seqs, x.data(), T, q, k, v, ctx, h);

    EncoderOutput out;
    int64_t R = 0;
    for (const auto& sq : seqs) R += static_cast<int64_t>(sq.mlm_logits_for.size());
    if (R > 0) out.mlm_logits = mlm_head(seqs, x.data(), R);
    if (s_.classifier) out.class_logits = classifier_head(seqs, x.data());
    return out;
  }

 private:
  // x: [T, C] <- word[id] + position[p(i)] + type[type_id], the tables C wide
  void embed(std::span<const EncoderSequence> seqs, float* x, int64_t C) const {
    const int32_t pad = s_.position_padding_idx;
    int64_t row = 0;
    for (const auto& sq : seqs) {
      int64_t counted = 0;  // tokens other than padding so far (RoBERTa's numbering)
      for (size_t i = 0; i < sq.ids.size(); ++i, ++row) {
        const float* we = s_.word_embeddings + static_cast<int64_t>(sq.ids[i]) * C;
        const int64_t position = pad < 0 ? static_cast<int64_t>(i) : sq.ids[i] == pad ? pad : pad + ++counted;
        float* xr = x + row * C;
        if (s_.position_embeddings) {
          const float* pe = s_.position_embeddings + position * C;
          for (int64_t c = 0; c < C; ++c) xr[c] = we[c] + pe[c];
        } else {
          std::memcpy(xr, we, C * sizeof(float));
        }
        if (s_.type_embeddings) {
          const int64_t t = sq.type_ids.empty() ? 0 : sq.type_ids[i];
          const float* te = s_.type_embeddings + t * C;
          for (int64_t c = 0; c < C; ++c) xr[c] += te[c];
        }
      }
    }
  }

  // x: [T, C] -> [T, C]: x = LN(x + out(attn(x))); x = LN(x + ffn_out(act(ffn_in(x)))).
  void layer_forward(int64_t layer, const PostLnLayer& L, std::span<const EncoderSequence> seqs, float* x, int64_t T,
                     std::vector<float>& q, std::vector<float>& k, std::vector<float>& v, std::vector<float>& ctx,
                     std::vector<float>& h) const {
    const int64_t C = s_.hidden, H = s_.heads, D = C / H;
    linear(x, T, L.query, q.data());
    linear(x, T, L.key, k.data());
    linear(x, T, L.value, v.data());
    const float scale = s_.attention_scale > 0.0f ? s_.attention_scale : 1.0f / std::sqrt(static_cast<float>(D));
    const AttentionShape shape{H, H, D, scale, /*causal=*/false};
    std::vector<float> bias;
    int64_t row = 0;
    for (const auto& sq : seqs) {
      const auto n = static_cast<int64_t>(sq.ids.size());
      if (s_.attention_bias) {
        bias.assign(H * n * n, 0.0f);
        s_.attention_bias(layer, q.data() + row * C, k.data() + row * C, C, n, bias.data());
      }
      attention(q.data() + row * C, C, k.data() + row * C, v.data() + row * C, C, n, n, 0, shape,
                ctx.data() + row * C, C, s_.attention_bias ? bias.data() : nullptr);
      row += n;
    }
    linear(ctx.data(), T, L.attn_out, x, /*accumulate=*/true);
    layer_norm(x, T, C, L.attn_norm_g, L.attn_norm_b, s_.eps, x);
    linear(x, T, L.ffn_in, h.data());
    apply_activation(s_.act, h.data(), T * s_.inner);
    linear(h.data(), T, L.ffn_out, x, /*accumulate=*/true);
    layer_norm(x, T, C, L.ffn_norm_g, L.ffn_norm_b, s_.eps, x);
  }

  // Only the R rows asked for: [R, C] -> transform, act, LN -> [R, E] -> [R, V].
  std::vector<float> mlm_head(std::span<const EncoderSequence> seqs, const float* x, int64_t R) const {
    const int64_t C = s_.hidden;
    const MlmHeadWeights& m = *s_.mlm;
    const int64_t E = m.transform.out;
    std::vector<float> sel(R * C), t(R * E);
    int64_t row = 0, r = 0;
    for (const auto& sq : seqs) {
      for (int64_t i : sq.mlm_logits_for) std::memcpy(&sel[r++ * C], x + (row + i) * C, C * sizeof(float));
      row += static_cast<int64_t>(sq.ids.size());
    }
    linear(sel.data(), R, m.transform, t.data());
    apply_activation(m.act, t.data(), R * E);
    layer_norm(t.data(), R, E, m.norm_g, m.norm_b, m.eps, t.data());
    std::vector<float> logits(R * m.decoder.out);
    linear(t.data(), R, m.decoder, logits.data());
    return logits;
  }

  // First token of each sequence: [S, C] -> dense, act -> [S, C] -> [S, labels].
  std::vector<float> classifier_head(std::span<const EncoderSequence> seqs, const float* x) const {
    const int64_t C = s_.hidden, S = static_cast<int64_t>(seqs.size());
    const ClassifierHeadWeights& c = *s_.classifier;
    std::vector<float> first(S * C), pooled(S * c.dense.out);
    int64_t row = 0;
    for (int64_t i = 0; i < S; ++i) {
      std::memcpy(&first[i * C], x + row * C, C * sizeof(float));
      row += static_cast<int64_t>(seqs[i].ids.size());
    }
    linear(first.data(), S, c.dense, pooled.data());
    apply_activation(c.act, pooled.data(), S * c.dense.out);
    std::vector<float> logits(S * c.out.out);
    linear(pooled.data(), S, c.out, logits.data());
    return logits;
  }

  PostLnEncoderSpec s_;
  Weights weights_;
  LinearPacker packer_;
};

}  // namespace

std::unique_ptr<EncoderModel> make_post_ln_encoder(PostLnEncoderSpec spec, Weights weights, LinearPacker packer) {
  if (spec.hidden % spec.heads != 0)
    fail("hidden size " + std::to_string(spec.hidden) + " is not a multiple of the " + std::to_string(spec.heads) +
         " attention heads");
  return std::make_unique<PostLnEncoder>(std::move(spec), std::move(weights), std::move(packer));
}

LinearWeights EncoderTensors::linear(const std::string& name, int64_t in, int64_t out) const {
  return read_linear(weights, packer, {name + ".weight", name + ".bias", in, out, false, ""});
}

std::pair<const float*, const float*> EncoderTensors::norm(const std::string& name, int64_t dim) const {
  if (!weights.has(name + ".weight") && weights.has(name + ".gamma"))
    return {w(name + ".gamma", {dim}), w(name + ".beta", {dim})};
  return {w(name + ".weight", {dim}), w(name + ".bias", {dim})};
}

MlmHeadWeights read_mlm_head(const Config& config, const EncoderTensors& r, const PostLnEncoderSpec& s,
                             const MlmHeadNames& names, Activation act, float eps) {
  const int64_t C = s.hidden, V = s.info.vocab_size;
  require_head_tensors(r.weights, config, "masked-LM", {names.transform + ".weight", names.bias});
  const bool tied = config.get_bool("tie_word_embeddings", true);
  if (!tied) require_head_tensors(r.weights, config, "masked-LM", {names.decoder_weight});
  MlmHeadWeights m;
  m.transform = r.linear(names.transform, C, C);
  m.act = act;
  std::tie(m.norm_g, m.norm_b) = r.norm(names.norm, C);
  m.eps = eps;
  // Tied, the decoder packs the embedding's stored bytes; the embedding itself stays fp32.
  m.decoder = read_linear(r.weights, r.packer,
                          {tied ? s.word_embeddings_name : names.decoder_weight, names.bias, C, V, false,
                           names.decoder_weight});
  return m;
}

ClassifierHeadWeights read_classifier_head(const Config& config, const EncoderTensors& r, int64_t hidden,
                                           const std::string& dense, Activation act, const std::string& out,
                                           EncoderInfo& info) {
  require_head_tensors(r.weights, config, "sequence-classification",
                       {dense + ".weight", out + ".weight", out + ".bias"});
  info.labels = read_labels(config);
  info.problem_type = config.get_string("problem_type", "");
  ClassifierHeadWeights c;
  c.dense = r.linear(dense, hidden, hidden);
  c.act = act;
  c.out = r.linear(out, hidden, static_cast<int64_t>(info.labels.size()));
  return c;
}

std::vector<std::string> read_labels(const Config& config) {
  const auto& j = config.json();
  const std::string where = config.file().string();
  if (j.contains("id2label") && j["id2label"].is_object() && !j["id2label"].empty()) {
    const auto& m = j["id2label"];
    std::vector<std::string> labels(m.size());
    std::vector<bool> seen(m.size(), false);
    for (auto it = m.begin(); it != m.end(); ++it) {
      size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(it.key(), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != it.key().size() || id < 0 || id >= static_cast<long long>(m.size()))
        fail(where + ": id2label key '" + it.key() + "' is not a label id 0.." + std::to_string(m.size() - 1));
      if (seen[id]) fail(where + ": id2label names label " + std::to_string(id) + " twice");
      if (!it.value().is_string()) fail(where + ": id2label[" + it.key() + "] is not a string");
      labels[id] = it.value().get<std::string>();
      seen[id] = true;
    }
    return labels;
  }
  const int64_t n = config.get_size("num_labels", 2);
  std::vector<std::string> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
  return labels;
}

void require_head_tensors(const Weights& weights, const Config& config, const std::string& head,
                          const std::vector<std::string>& names) {
  for (const auto& name : names)
    if (!weights.has(name)) {
      const std::string arch = config.first_architecture();
      fail(weights.source() + " has no tensor " + name + ": the checkpoint" +
           (arch.empty() ? std::string() : " (" + arch + ")") + " has no " + head + " head");
    }
}

}  // namespace tokprob
