// The `seq2seq` task: what an encoder-decoder model (T5) writes for a text, step by step, with the
// distribution behind every output token; or, given a target, how likely the model finds it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokprob/generate.hpp"
#include "tokprob/model.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// Most steps one decoding may take. T5's relative positions set no limit of their own, and
// every step attends to all the steps before it, so an unbounded count would hold a CPU for hours.
inline constexpr int64_t kMaxSeq2SeqNewTokens = 1024;

// Generation settings: unset ones take the model's defaults (generation_config.json, else
// config.json, as transformers' generate() takes them), then the reference's global defaults
// (greedy, 20 new tokens). Settings of the model's file that tokprob does not implement (sampling,
// group beam search, ...) are refused by name.
struct Seq2SeqOptions {
  int64_t top_k = 10;            // tokens listed per step (>= 1)
  // Decoding stops here unless the end token comes first (1..kMaxSeq2SeqNewTokens).
  std::optional<int64_t> max_new_tokens;
  std::optional<int64_t> min_new_tokens;      // the end token is banned before this many tokens
  std::optional<int64_t> num_beams;           // 1: greedy
  std::optional<int64_t> no_repeat_ngram_size;  // 0: off
  std::optional<double> length_penalty;       // beam search: score / length^length_penalty
  std::optional<EarlyStopping> early_stopping;  // beam search
  std::optional<double> repetition_penalty;   // 1: off
  // Forced decoding: score this output text instead of generating. It is tokenized as the
  // reference tokenizes labels (with the tokenizer's special tokens: T5 appends </s>).
  std::optional<std::string> target;
};

struct Seq2SeqStep {
  int64_t step = 0;               // index in output_ids
  TokenScore token;               // the chosen or target token, under the raw logits
  int64_t rank = 1;               // 1-based rank of `token` in the step's distribution
  std::vector<TokenScore> top;    // the top_k most likely tokens of the step (raw logits)
};

struct Seq2SeqResult {
  std::string text;
  std::vector<int32_t> input_ids;
  std::optional<std::string> target;  // set for forced decoding
  // Output tokens after the decoder start token (which is not included), one per step; the end
  // token, when reached, is the last.
  std::vector<int32_t> output_ids;
  std::string output_text;            // output_ids decoded without special tokens
  std::vector<Seq2SeqStep> steps;     // beam search: along the returned (best) beam
  double logprob = 0;                 // sum of the steps' logprobs: log P(output | text)
  bool finished = false;              // the output ends with the end token
  std::optional<double> beam_score;   // beam search: the hypothesis score (length-penalised)
};

// Throws tokprob::OptionError naming the first field out of its range ("top_k must be at least 1").
void validate(const Seq2SeqOptions& options);

// Each decoder step's distribution of an encoder-decoder model (all texts as one batch).
std::vector<Seq2SeqResult> seq2seq(const Model& model, std::span<const std::string> texts,
                                   const Seq2SeqOptions& options = {});

}  // namespace tokprob
