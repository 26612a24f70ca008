// Generation from a causal LM's logits: greedy, seeded sampling and beam search, as transformers
// 4.38 `generate()` does them. Works on token ids only; it never knows which architecture (or
// tokenizer) is behind the model.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "generate/distribution.hpp"
#include "generate/logits_processors.hpp"
#include "models/causal_lm.hpp"
#include "tokprob/generate.hpp"

namespace tokprob {

struct GenerationConfig {
  int64_t max_new_tokens = 20;
  bool do_sample = false;
  SamplingParams sampling;             // the repetition penalty applies without sampling too
  uint64_t seed = 0;                   // for do_sample
  int64_t num_beams = 1;
  int64_t num_return_sequences = 1;    // sampling: independent draws; beams: the best finished hypotheses
  double length_penalty = 1.0;         // beam score = sum of scores / generated_length^length_penalty
  EarlyStopping early_stopping = EarlyStopping::heuristic;
  std::vector<int32_t> eos_token_ids;  // empty: never stops early
  int64_t top_logprobs = 0;            // raw alternatives recorded per step
  TokenConstraints constraints;        // banned and forced tokens (lengths count the prompt)
};

struct GeneratedStep {
  int32_t id = 0;
  double logprob = 0;            // log-softmax of the model's raw logits at this token
  float logit = 0;               // the raw logit
  int64_t rank = 1;              // 1-based rank in the raw distribution
  // What the decoding rule used: log-softmax of the processed logits (greedy, sampling), or the
  // processed log-softmax score added to the beam score (beam search).
  double processed_logprob = 0;
  std::vector<RankedToken> top;  // the top_logprobs most likely tokens of the raw distribution
};

enum class FinishReason { length, eos, stop };

struct GeneratedSequence {
  std::vector<int32_t> new_ids;  // an EOS that ended the sequence included
  std::vector<GeneratedStep> steps;
  // Beam search: the hypothesis score (processed scores summed / length^length_penalty);
  // greedy and sampling: the sum of the raw logprobs.
  double score = 0;
  FinishReason finish = FinishReason::length;
};

// Called after every new token of greedy or sampled sequence `index`; returning true ends that
// sequence (stop strings). Not called in beam search.
using TokenObserver = std::function<bool(size_t index, const GeneratedSequence& sequence)>;

// Throws tokprob::Error (usage) for inconsistent settings (num_return_sequences > 1 with greedy,
// beams with sampling, num_return_sequences > num_beams, ...). Sequences also end when the model's
// max_positions would be passed (finish reason `length`).
// What beam search needs of a decoder (a causal LM, or an encoder-decoder's decoder).
struct StepDecoder {
  int64_t vocab_size = 0;
  // Continues each chunk's state; one logits row per requested position, as CausalLM::forward.
  std::function<std::vector<float>(std::span<DecodeChunk>)> forward;
  // Whether a sequence of `length` tokens can take one more token through the model.
  std::function<bool(int64_t length)> fits;
};

// Beam search from `start`, a state that has consumed `prompt` (a causal LM's prompt, or an
// encoder-decoder's decoder start token) with `first` the logits of its last position; the
// processors see `prompt` followed by the generated tokens. Returns the best num_return_sequences
// finished hypotheses, best first.
std::vector<GeneratedSequence> beam_search(const StepDecoder& decoder, std::unique_ptr<DecoderState> start,
                                           std::span<const float> first, std::span<const int32_t> prompt,
                                           const GenerationConfig& config);

std::vector<GeneratedSequence> generate_sequences(const CausalLM& model, std::span<const int32_t> prompt,
                                                  const GenerationConfig& config, const TokenObserver& observer = {});

}  // namespace tokprob
