// The plumbing every decoder-only model shares: checking the chunks, the embeddings, the loop over
// layers, each layer's keys and values appended to its sequence's cache and attended over, the rows
// asked for picked out, the final norm and the LM head. An architecture file reads config.json into
// a DecoderSpec, names its tensors, and writes its embedding, its layer function and its final norm
// (a DecoderLayers); the rest is here once.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "io/config.hpp"
#include "kernels/rope.hpp"
#include "models/causal_lm.hpp"

namespace tokprob {

// The rows of one forward pass: the new tokens of every chunk, packed chunk after chunk.
class DecoderRows {
 public:
  // Computes the angles of every rope in `ropes` for every row.
  DecoderRows(std::span<DecodeChunk> chunks, int64_t kv_dim, const std::vector<const Rope*>& ropes);

  int64_t count() const { return count_; }  // T
  // Token id and absolute position (in its own sequence) of packed row r.
  int32_t id(int64_t r) const { return ids_[r]; }
  int64_t position(int64_t r) const { return positions_[r]; }
  // Length its sequence reaches once this pass is done (dynamic RoPE scales by it).
  int64_t sequence_end(int64_t r) const { return sequence_ends_[r]; }

  const std::vector<const Rope*>& ropes() const { return ropes_; }
  // cos and sin of rope `index` (of DecoderSpec::ropes) for row r: [pairs] each.
  const float* rope_cos(size_t index, int64_t r) const { return &rope_cos_[index][r * ropes_[index]->pairs()]; }
  const float* rope_sin(size_t index, int64_t r) const { return &rope_sin_[index][r * ropes_[index]->pairs()]; }

  // Appends layer `layer`'s keys and values (k, v: [T, kv_dim], row stride kv_stride) to each
  // chunk's cache, and attends each chunk's queries (q: [T, heads*head_dim]) over its whole cache
  // into out: [T, heads*head_dim].
  void self_attention(int64_t layer, const float* q, int64_t q_stride, const float* k, const float* v,
                      int64_t kv_stride, const AttentionShape& shape, float* out, int64_t out_stride) const;

 private:
  std::span<DecodeChunk> chunks_;
  int64_t kv_dim_;
  int64_t count_ = 0;
  std::vector<int32_t> ids_;
  std::vector<int64_t> positions_, sequence_ends_;
  std::vector<const Rope*> ropes_;
  std::vector<std::vector<float>> rope_cos_, rope_sin_;
};

// What an architecture writes. Every pointer it hands out stays valid as long as the object.
class DecoderLayers {
 public:
  virtual ~DecoderLayers() = default;
  // ids of rows -> x: [T, C]
  virtual void embed(const DecoderRows& rows, float* x) const = 0;
  // x: [T, C] -> [T, C], in place (the residual stream through layer l)
  virtual void layer(int64_t l, const DecoderRows& rows, float* x) const = 0;
  // x: [R, C] -> [R, C], in place: the norm before the LM head, on the selected rows only
  virtual void final_norm(float* x, int64_t rows) const = 0;
  // Only where DecoderSpec::head_in differs from hidden: x: [R, C] (after final_norm) -> out:
  // [R, head_in], the projection between the last norm and the head (OPT's project_out).
  virtual void project_out(const float* x, int64_t rows, float* out) const;
};

struct DecoderSpec {
  ModelInfo info;                // info.max_positions: 0 for no limit
  std::string max_positions_key;  // the config key named when a sequence is too long
  int64_t hidden = 0, layers = 0;
  int64_t kv_dim = 0;            // per-layer width of the cached keys (and values)
  LinearWeights head;            // [head_in] -> [vocab]
  int64_t head_in = 0;           // the head's input width; 0: hidden (no DecoderLayers::project_out)
  std::vector<const Rope*> ropes;  // angles computed once per pass, for DecoderRows::rope_cos/sin
  float final_logit_softcap = 0.0f;  // > 0: logits become tanh(logit / cap) * cap (Gemma 2)
  // > 0: a pass that takes a sequence past this many tokens while its cache holds at most this many
  // (and some) first recomputes the cache from the cached tokens. Phi-3's longrope switches to its
  // long factors past original_max_position_embeddings, and the reference's generation then drops
  // the keys rotated with the short ones and computes everything again (its
  // prepare_inputs_for_generation), so this keeps cached decoding equal to it.
  int64_t recompute_cache_past = 0;
};

std::unique_ptr<CausalLM> make_decoder(DecoderSpec spec, std::unique_ptr<DecoderLayers> layers);

// model_type, architecture and the bos/eos/pad ids of config.json (an id list, as Llama 3's
// eos_token_id, gives its first), with the vocabulary and position limits given.
ModelInfo read_decoder_info(const Config& config, int64_t vocab_size, int64_t max_positions);

// The sliding window of each of `layers` layers (0: full attention): `window` everywhere, unless
// config.json's layer_types says it layer by layer (full_attention / sliding_attention).
std::vector<int64_t> read_layer_windows(const Config& config, int64_t layers, std::vector<int64_t> windows,
                                        int64_t window);

// Fails naming config.json when `key` is set (not null) to anything but `expected`: a setting the
// reference reads that this engine does not compute, refused rather than ignored.
void refuse_unless(const Config& config, const std::string& key, const nlohmann::json& expected);

}  // namespace tokprob
