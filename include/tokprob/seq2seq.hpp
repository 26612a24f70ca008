// The `seq2seq` task: what an encoder-decoder model (T5) writes for a text, step by step, with the
// distribution behind every output token; or, given a target, how likely the model finds it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokprob/model.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// Most steps one greedy decoding may take. T5's relative positions set no limit of their own, and
// every step attends to all the steps before it, so an unbounded count would hold a CPU for hours.
inline constexpr int64_t kMaxSeq2SeqNewTokens = 1024;

struct Seq2SeqOptions {
  int64_t top_k = 10;            // tokens listed per step (>= 1)
  // Greedy decoding stops here unless the end token comes first (1..kMaxSeq2SeqNewTokens).
  int64_t max_new_tokens = 20;
  // Forced decoding: score this output text instead of generating. It is tokenized as the
  // reference tokenizes labels (with the tokenizer's special tokens: T5 appends </s>).
  std::optional<std::string> target;
};

struct Seq2SeqStep {
  int64_t step = 0;               // index in output_ids
  TokenScore token;               // the chosen (greedy) or target token, under the raw logits
  int64_t rank = 1;               // 1-based rank of `token` in the step's distribution
  std::vector<TokenScore> top;    // the top_k most likely tokens of the step
};

struct Seq2SeqResult {
  std::string text;
  std::vector<int32_t> input_ids;
  std::optional<std::string> target;  // set for forced decoding
  // Output tokens after the decoder start token (which is not included), one per step; the end
  // token, when reached, is the last.
  std::vector<int32_t> output_ids;
  std::string output_text;            // output_ids decoded without special tokens
  std::vector<Seq2SeqStep> steps;
  double logprob = 0;                 // sum of the steps' logprobs: log P(output | text)
  bool finished = false;              // the output ends with the end token
};

// Throws tokprob::OptionError naming the first field out of its range ("top_k must be at least 1").
void validate(const Seq2SeqOptions& options);

// Each decoder step's distribution of an encoder-decoder model (all texts as one batch).
std::vector<Seq2SeqResult> seq2seq(const Model& model, std::span<const std::string> texts,
                                   const Seq2SeqOptions& options = {});

}  // namespace tokprob
