// What every decoder-only language model offers the tasks: a batched forward pass over new tokens
// of several sequences, each continuing its own key/value cache, with logits computed only for the
// rows asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tokprob {

struct ModelInfo {
  std::string model_type;     // config.json "model_type", e.g. "gpt2"
  std::string architecture;   // e.g. "GPT2LMHeadModel"
  int64_t vocab_size = 0;     // rows of the output projection
  int64_t max_positions = 0;  // longest sequence the model takes (0: no fixed limit)
  std::optional<int32_t> bos_token_id, eos_token_id, pad_token_id;
};

// The key/value cache of one sequence; `clone` lets beam search fork a hypothesis.
class DecoderState {
 public:
  virtual ~DecoderState() = default;
  virtual int64_t length() const = 0;  // tokens consumed so far
  virtual std::unique_ptr<DecoderState> clone() const = 0;
};

struct DecodeChunk {
  DecoderState* state = nullptr;         // continued in place
  std::span<const int32_t> ids;          // the new tokens of this sequence
  std::vector<int64_t> logits_for;       // indices into `ids` whose next-token logits are wanted
};

class CausalLM {
 public:
  virtual ~CausalLM() = default;
  virtual const ModelInfo& info() const = 0;
  virtual std::unique_ptr<DecoderState> new_state() const = 0;
  // Runs every chunk as one batch (no padding: sequences are packed row after row).
  // Returns logits [sum of logits_for sizes, vocab_size], chunk after chunk, in logits_for order.
  // Throws tokprob::Error when a sequence would pass max_positions or an id is outside the vocabulary.
  virtual std::vector<float> forward(std::span<DecodeChunk> chunks) const = 0;
};

}  // namespace tokprob
