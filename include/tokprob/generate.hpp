// The `generate` task: continue a text with a causal LM (greedy, sampling or beam search),
// reporting every chosen token's probability before and after the logits processors.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokprob/model.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {

// When beam search stops (transformers' `early_stopping`).
enum class EarlyStopping {
  heuristic,  // false: stop when the best running beam, scored at the current length, cannot beat the worst finished one
  enough,     // true: stop as soon as num_beams hypotheses are finished
  never,      // "never": stop only when no running beam can beat them at any length up to max_new_tokens
};

// "false", "true" or "never" (transformers' spellings); throws an OptionError for early_stopping.
EarlyStopping parse_early_stopping(const std::string& value);
const char* early_stopping_name(EarlyStopping e);

struct GenerateOptions {
  int64_t max_new_tokens = 20;
  // false: the text is a rendered chat prompt, which writes its own special tokens; it is
  // tokenized without adding any, as apply_chat_template(tokenize=True) does.
  bool add_special_tokens = true;
  // Sampling or not. Unset (the default), tokprob samples as soon as a sampling setting is given
  // that changes anything: temperature other than 1 (but not 0), top_k > 0, top_p < 1, min_p > 0,
  // or a seed; otherwise it decodes greedily. (transformers needs do_sample=True explicitly and
  // then applies top_k 50 by default; tokprob's top_k default is 0, off.)
  std::optional<bool> do_sample;
  double temperature = 1.0;         // 0 means greedy decoding
  int64_t top_k = 0;                // 0: off
  double top_p = 1.0;               // 1: off
  double min_p = 0.0;               // 0: off
  double repetition_penalty = 1.0;  // 1: off; applies to greedy and beam search too
  // Seed of the sampler (std::mt19937_64, not torch's generator). Unset: a random one, reported in
  // the result so that the run can be repeated.
  std::optional<uint64_t> seed;
  int64_t num_beams = 1;
  int64_t num_return_sequences = 1;
  double length_penalty = 1.0;      // beam search
  EarlyStopping early_stopping = EarlyStopping::heuristic;  // beam search (transformers' default, false)
  int64_t logprobs = 0;             // most likely raw alternatives listed per step
  // Generation of a sequence stops after the token that completes one of these in its text, and
  // its text ends before the first stop string (as OpenAI's API cuts it; its ids and steps keep
  // every generated token). A stream never shows a stop string: it holds back an ending that may
  // become one. Greedy and sampling only.
  std::vector<std::string> stop;
  // Unset: the model's EOS id (config.json); the CLI passes generation_config.json's list.
  std::optional<std::vector<int32_t>> eos_token_ids;
};

struct GeneratedToken {
  int32_t id = 0;
  std::string token;             // vocabulary string
  std::string text;              // what it reads as
  double logprob = 0;            // the model's raw log-probability
  double processed_logprob = 0;  // after the logits processors (what sampling/greedy/beam used)
  std::vector<TokenScore> top;   // the `logprobs` most likely raw alternatives
};

struct GeneratedText {
  std::vector<int32_t> ids;      // prompt + new tokens
  std::vector<int32_t> new_ids;
  std::string text;              // the continuation (new tokens only), special tokens skipped, cut at a stop string
  double score = 0;              // beam score; greedy and sampling: sum of the raw logprobs
  std::string finish_reason;     // "length", "eos" or "stop"
  std::vector<GeneratedToken> steps;
};

struct GenerateResult {
  std::string text;              // the prompt
  std::vector<int32_t> input_ids;
  std::string mode;              // "greedy", "sample" or "beam"
  std::optional<uint64_t> seed;  // the seed used, when sampling
  std::vector<GeneratedText> sequences;
};

// Called for each new token of greedy or sampled sequence `sequence` (never for beam search):
// `text_delta` is the text the token adds (held back while a character is incomplete).
using GenerateStream = std::function<void(size_t sequence, const GeneratedToken& token, std::string_view text_delta)>;

// Throws tokprob::OptionError naming the first field out of its range ("top_p must be in (0, 1]"),
// or set against another ("num_return_sequences must not exceed num_beams (4)").
void validate(const GenerateOptions& options);

// Continues `text` with a causal LM; eos_token_ids unset: the model's (generation_config.json).
GenerateResult generate(const Model& model, const std::string& text, const GenerateOptions& options = {},
                        const GenerateStream& stream = {});

}  // namespace tokprob
