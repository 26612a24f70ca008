// What every encoder-decoder language model (T5, BART, mBART) offers the tasks: the encoder runs once per
// source sequence and leaves a decoder state holding what the decoder's cross-attention needs;
// the decoder then continues each state token by token, like a causal LM.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/causal_lm.hpp"

namespace tokprob {

struct Seq2SeqInfo : ModelInfo {
  int32_t decoder_start_token_id = 0;  // the first decoder input (T5: pad = 0, BART: eos = 2)
  int64_t hidden_size = 0;             // width of the encoder output (d_model)
  // Generation defaults of the reference's logits processors: the first generated token is
  // forced_bos_token_id (mBART-50's target language), the last one a length limit allows is
  // forced_eos_token_id (BART).
  std::optional<int32_t> forced_bos_token_id, forced_eos_token_id;
};

// One source sequence's decoder state: the encoder output, the cross-attention keys/values of
// every decoder layer (computed once, shared by clones) and the decoder's own key/value cache.
// length() counts decoder tokens consumed.
class Seq2SeqState : public DecoderState {
 public:
  virtual int64_t source_length() const = 0;
  // The encoder's last hidden state, [source_length, hidden_size] row-major.
  virtual std::span<const float> encoder_output() const = 0;
};

class Seq2SeqLM {
 public:
  virtual ~Seq2SeqLM() = default;
  virtual const Seq2SeqInfo& info() const = 0;
  // Runs the encoder over every source as one batch (packed, no padding) and returns one decoder
  // state per source, with nothing decoded yet. Throws tokprob::Error for an empty source or an id
  // outside the vocabulary.
  virtual std::vector<std::unique_ptr<Seq2SeqState>> encode(std::span<const std::vector<int32_t>> sources) const = 0;
  // The decoder, with CausalLM::forward's contract: each chunk continues its state (which must come
  // from this model's encode()) with new decoder tokens; returns logits [sum of logits_for sizes,
  // vocab_size], chunk after chunk, in logits_for order.
  virtual std::vector<float> decode(std::span<DecodeChunk> chunks) const = 0;
};

}  // namespace tokprob
