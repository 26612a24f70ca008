#include "models/encoder_decoder.hpp"

#include <cstring>

#include "tokprob/error.hpp"

namespace tokprob {

void PackedRows::add_sequence(std::span<const int32_t> ids, int64_t start) {
  const auto n = static_cast<int64_t>(ids.size());
  for (int64_t i = 0; i < n; ++i) {
    ids_.push_back(ids[i]);
    positions_.push_back(start + i);
  }
  starts_.push_back(start);
  lengths_.push_back(n);
  biases_.emplace_back();
}

SourceRows::SourceRows(std::span<const std::vector<int32_t>> sources) {
  for (const auto& src : sources) add_sequence(src, 0);
}

void SourceRows::self_attention(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride,
                                const AttentionShape& shape, float* out, int64_t out_stride) const {
  int64_t row = 0;
  for (size_t s = 0; s < sequences(); ++s) {
    const int64_t n = sequence_length(s);
    attention(q + row * q_stride, q_stride, k + row * kv_stride, v + row * kv_stride, kv_stride, n, n, 0, shape,
              out + row * out_stride, out_stride, bias(s));
    row += n;
  }
}

TargetRows::TargetRows(std::span<DecodeChunk> chunks, int64_t kv_dim) : chunks_(chunks), kv_dim_(kv_dim) {
  for (auto& ch : chunks) add_sequence(ch.ids, ch.state->length());
}

void TargetRows::self_attention(int64_t layer, const float* q, int64_t q_stride, const float* k, const float* v,
                                int64_t kv_stride, const AttentionShape& shape, float* out,
                                int64_t out_stride) const {
  int64_t row = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    auto& cache = static_cast<EncoderDecoderState*>(chunks_[c].state)->self_cache();
    const int64_t n = sequence_length(c), start = cache.length();
    cache.append(layer, k + row * kv_stride, v + row * kv_stride, kv_stride, n);
    attention(q + row * q_stride, q_stride, cache.keys(layer), cache.values(layer), kv_dim_, start + n, n, start, shape,
              out + row * out_stride, out_stride, bias(c));
    row += n;
  }
}

void TargetRows::cross_attention(int64_t layer, const float* q, int64_t q_stride, const AttentionShape& shape,
                                 float* out, int64_t out_stride) const {
  AttentionShape bidirectional = shape;
  bidirectional.causal = false;
  const int64_t kv = shape.n_kv_heads * shape.head_dim;
  int64_t row = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const EncoderMemory& m = static_cast<EncoderDecoderState*>(chunks_[c].state)->memory();
    const int64_t n = sequence_length(c);
    attention(q + row * q_stride, q_stride, m.cross_k[layer].data(), m.cross_v[layer].data(), kv, m.n, n, 0,
              bidirectional, out + row * out_stride, out_stride);
    row += n;
  }
}

namespace {

class EncoderDecoder final : public Seq2SeqLM {
 public:
  EncoderDecoder(Seq2SeqSpec spec, std::unique_ptr<Seq2SeqLayers> layers)
      : s_(std::move(spec)), layers_(std::move(layers)) {}

  const Seq2SeqInfo& info() const override { return s_.info; }

  // sources packed to x [T, hidden] -> encoder output [T, hidden], then each decoder layer's
  // cross-attention keys/values [T, cross_kv_dim], split per source.
  std::vector<std::unique_ptr<Seq2SeqState>> encode(std::span<const std::vector<int32_t>> sources) const override {
    const int64_t C = s_.info.hidden_size, KV = s_.cross_kv_dim;
    for (const auto& src : sources) {
      if (src.empty()) fail("empty source sequence: the " + s_.info.model_type + " encoder needs at least one token");
      check_length(static_cast<int64_t>(src.size()), s_.max_source_positions, "source");
      check_ids(src, s_.source_vocab_size > 0 ? s_.source_vocab_size : s_.info.vocab_size);
    }
    const SourceRows rows(sources);
    const int64_t T = rows.count();
    std::vector<float> x(T * C);
    layers_->encoder_embed(rows, x.data());
    for (int64_t l = 0; l < s_.encoder_layers; ++l) layers_->encoder_layer(l, rows, x.data());
    layers_->encoder_final_norm(x.data(), T);

    std::vector<std::shared_ptr<EncoderMemory>> memories;
    int64_t row = 0;
    for (size_t s = 0; s < rows.sequences(); ++s) {
      auto m = std::make_shared<EncoderMemory>();
      m->n = rows.sequence_length(s);
      m->encoder_output.assign(x.begin() + row * C, x.begin() + (row + m->n) * C);
      m->cross_k.resize(s_.decoder_layers);
      m->cross_v.resize(s_.decoder_layers);
      memories.push_back(std::move(m));
      row += rows.sequence_length(s);
    }
    std::vector<float> k(T * KV), v(T * KV);
    for (int64_t l = 0; l < s_.decoder_layers; ++l) {
      layers_->cross_keys_values(l, x.data(), T, k.data(), v.data());
      row = 0;
      for (auto& m : memories) {
        m->cross_k[l].assign(k.begin() + row * KV, k.begin() + (row + m->n) * KV);
        m->cross_v[l].assign(v.begin() + row * KV, v.begin() + (row + m->n) * KV);
        row += m->n;
      }
    }
    std::vector<std::unique_ptr<Seq2SeqState>> states;
    for (auto& m : memories)
      states.push_back(std::make_unique<EncoderDecoderState>(std::move(m), s_.decoder_layers, s_.self_kv_dim));
    return states;
  }

  // new decoder tokens of every chunk packed to x [T, hidden] -> logits [R, vocab] for the rows asked.
  std::vector<float> decode(std::span<DecodeChunk> chunks) const override {
    const int64_t V = s_.info.vocab_size;
    std::vector<float> sel = hidden(chunks);
    const int64_t R = static_cast<int64_t>(sel.size()) / s_.info.hidden_size;
    if (R == 0) return {};
    std::vector<float> logits(R * V);
    linear(sel.data(), R, s_.head, logits.data());
    if (s_.logits_bias)
      for (int64_t i = 0; i < R; ++i)
        for (int64_t j = 0; j < V; ++j) logits[i * V + j] += s_.logits_bias[j];
    return logits;
  }

  // The decoder's last hidden states [R, hidden], after its final norm, of the rows asked for.
  std::vector<float> hidden(std::span<DecodeChunk> chunks) const {
    const int64_t C = s_.info.hidden_size;
    int64_t R = 0;
    for (auto& ch : chunks) {
      if (!dynamic_cast<EncoderDecoderState*>(ch.state))
        fail("internal: decoder state not made by this " + s_.info.model_type + " model's encode()");
      check_length(ch.state->length() + static_cast<int64_t>(ch.ids.size()), s_.max_target_positions, "decoder");
      check_ids(ch.ids, s_.info.vocab_size);
      for (int64_t r : ch.logits_for)
        if (r < 0 || r >= static_cast<int64_t>(ch.ids.size())) fail("internal: logits row outside the chunk");
      R += static_cast<int64_t>(ch.logits_for.size());
    }
    const TargetRows rows(chunks, s_.self_kv_dim);
    const int64_t T = rows.count();
    std::vector<float> x(T * C);
    layers_->decoder_embed(rows, x.data());
    for (int64_t l = 0; l < s_.decoder_layers; ++l) layers_->decoder_layer(l, rows, x.data());
    for (auto& ch : chunks)
      static_cast<EncoderDecoderState*>(ch.state)->self_cache().advance(ch.ids);

    // The final norm (and in decode() the vocabulary projection) only for the rows asked for.
    if (R == 0) return {};
    std::vector<float> sel(R * C);
    int64_t row = 0, r = 0;
    for (auto& ch : chunks) {
      for (int64_t i : ch.logits_for) std::memcpy(&sel[r++ * C], &x[(row + i) * C], C * sizeof(float));
      row += static_cast<int64_t>(ch.ids.size());
    }
    layers_->decoder_final_norm(sel.data(), R);
    return sel;
  }

 private:
  void check_ids(std::span<const int32_t> ids, int64_t V) const {
    for (int32_t id : ids)
      if (id < 0 || id >= V)
        fail("token id " + std::to_string(id) + " is outside the vocabulary (vocab_size " + std::to_string(V) + ")");
  }

  void check_length(int64_t n, int64_t limit, const char* what) const {
    if (limit > 0 && n > limit)
      fail(std::string(what) + " sequence of " + std::to_string(n) + " tokens is longer than the model's " +
           std::to_string(limit) + " positions (" + s_.max_positions_key + ")");
  }

  Seq2SeqSpec s_;
  std::unique_ptr<Seq2SeqLayers> layers_;
};

}  // namespace

std::unique_ptr<Seq2SeqLM> make_encoder_decoder(Seq2SeqSpec spec, std::unique_ptr<Seq2SeqLayers> layers) {
  return std::make_unique<EncoderDecoder>(std::move(spec), std::move(layers));
}

std::vector<float> decode_hidden(const Seq2SeqLM& model, std::span<DecodeChunk> chunks) {
  const auto* m = dynamic_cast<const EncoderDecoder*>(&model);
  if (!m) fail("internal: decoder hidden states asked of a model not made by make_encoder_decoder");
  return m->hidden(chunks);
}

}  // namespace tokprob
