// The plumbing every encoder-decoder language model shares (T5, BART, mBART): the source rows packed
// through the encoder, the encoder memory each source leaves (its last hidden state and every decoder
// layer's cross-attention keys/values, computed once and shared by clones), the decoder state (that
// memory plus the self-attention cache), the decoder rows' self- and cross-attention, the rows asked
// for picked out, the final norm, the LM head and its bias. An architecture file reads config.json
// into a Seq2SeqSpec, names its tensors, and writes its embeddings and layer functions (a
// Seq2SeqLayers); the rest is here once.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "models/kv_cache.hpp"
#include "models/seq2seq_lm.hpp"

namespace tokprob {

// What the encoder leaves for the decoder of one source; immutable once built.
struct EncoderMemory {
  int64_t n = 0;                                     // source tokens
  std::vector<float> encoder_output;                 // [n, hidden]
  std::vector<std::vector<float>> cross_k, cross_v;  // per decoder layer: [n, cross_kv_dim]
};

// One source's decoder state: its encoder memory (shared by clones) and the decoder's own cache.
class EncoderDecoderState final : public Seq2SeqState {
 public:
  EncoderDecoderState(std::shared_ptr<const EncoderMemory> memory, int64_t layers, int64_t kv_dim)
      : memory_(std::move(memory)), self_(layers, kv_dim) {}
  int64_t length() const override { return self_.length(); }
  std::unique_ptr<DecoderState> clone() const override { return std::make_unique<EncoderDecoderState>(*this); }
  int64_t source_length() const override { return memory_->n; }
  std::span<const float> encoder_output() const override { return memory_->encoder_output; }

  const EncoderMemory& memory() const { return *memory_; }
  KVCache& self_cache() { return self_; }

 private:
  std::shared_ptr<const EncoderMemory> memory_;
  KVCache self_;
};

// Rows of one pass, sequence after sequence: the sources through the encoder, or the new tokens of
// each decoder chunk through the decoder. An architecture may give each sequence an additive
// attention bias [heads, n_new, n_ctx] (T5's relative positions), set once in its embed and added
// in every layer's self-attention.
class PackedRows {
 public:
  int64_t count() const { return static_cast<int64_t>(ids_.size()); }  // T
  int32_t id(int64_t r) const { return ids_[r]; }
  int64_t position(int64_t r) const { return positions_[r]; }  // in its own sequence
  size_t sequences() const { return lengths_.size(); }
  int64_t sequence_start(size_t s) const { return starts_[s]; }    // position of its first new row
  int64_t sequence_length(size_t s) const { return lengths_[s]; }  // new rows
  void set_self_attention_bias(size_t s, std::vector<float> bias) const { biases_.at(s) = std::move(bias); }

 protected:
  void add_sequence(std::span<const int32_t> ids, int64_t start);
  const float* bias(size_t s) const { return biases_[s].empty() ? nullptr : biases_[s].data(); }

 private:
  std::vector<int32_t> ids_;
  std::vector<int64_t> positions_, starts_, lengths_;
  mutable std::vector<std::vector<float>> biases_;
};

class SourceRows final : public PackedRows {
 public:
  explicit SourceRows(std::span<const std::vector<int32_t>> sources);
  // Each source's queries (q: [T, heads*head_dim]) over its own keys and values (k, v: [T, kv],
  // row stride kv_stride), bidirectionally, into out: [T, heads*head_dim].
  void self_attention(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride,
                      const AttentionShape& shape, float* out, int64_t out_stride) const;
};

class TargetRows final : public PackedRows {
 public:
  TargetRows(std::span<DecodeChunk> chunks, int64_t kv_dim);
  // Appends decoder layer `layer`'s keys and values to each chunk's cache and attends each chunk's
  // queries causally over its whole cache.
  void self_attention(int64_t layer, const float* q, int64_t q_stride, const float* k, const float* v,
                      int64_t kv_stride, const AttentionShape& shape, float* out, int64_t out_stride) const;
  // Each chunk's queries over its source's cross-attention keys and values of layer `layer`.
  void cross_attention(int64_t layer, const float* q, int64_t q_stride, const AttentionShape& shape, float* out,
                       int64_t out_stride) const;

 private:
  std::span<DecodeChunk> chunks_;
  int64_t kv_dim_;
};

// What an architecture writes. x is the residual stream [T, hidden] (or [R, hidden] of the rows
// asked for, in decoder_final_norm), changed in place.
class Seq2SeqLayers {
 public:
  virtual ~Seq2SeqLayers() = default;
  virtual void encoder_embed(const SourceRows& rows, float* x) const = 0;
  virtual void encoder_layer(int64_t l, const SourceRows& rows, float* x) const = 0;
  virtual void encoder_final_norm(float* x, int64_t rows) const = 0;
  // memory: the encoder output [rows, hidden] -> k, v: [rows, cross_kv_dim] of decoder layer l
  virtual void cross_keys_values(int64_t l, const float* memory, int64_t rows, float* k, float* v) const = 0;
  virtual void decoder_embed(const TargetRows& rows, float* x) const = 0;
  virtual void decoder_layer(int64_t l, const TargetRows& rows, float* x) const = 0;
  // Everything between the last decoder layer and the head (final norm, T5's rescaling).
  virtual void decoder_final_norm(float* x, int64_t rows) const = 0;
};

struct Seq2SeqSpec {
  Seq2SeqInfo info;
  int64_t encoder_layers = 0, decoder_layers = 0;
  int64_t self_kv_dim = 0, cross_kv_dim = 0;  // per-layer width of cached keys (and values)
  // Longest source and decoder sequence (0: no limit) and the config key that sets it.
  int64_t max_source_positions = 0, max_target_positions = 0;
  std::string max_positions_key;
  int64_t source_vocab_size = 0;      // rows of the encoder's embeddings; 0: info.vocab_size
  LinearWeights head;                 // [hidden] -> [vocab]
  const float* logits_bias = nullptr;  // [vocab] added to the logits (BART's final_logits_bias); null: none
};

std::unique_ptr<Seq2SeqLM> make_encoder_decoder(Seq2SeqSpec spec, std::unique_ptr<Seq2SeqLayers> layers);

// decode() of a model make_encoder_decoder made, without its LM head: the decoder's last hidden
// states [R, hidden] (after the final norm) of the rows asked for (a classification head's input).
std::vector<float> decode_hidden(const Seq2SeqLM& model, std::span<DecodeChunk> chunks);

}  // namespace tokprob
