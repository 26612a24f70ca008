// The `score` task: how likely a causal LM finds a whole text, token by token: each token's
// log-probability given everything before it, the total, and the perplexity.
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

struct ScoreOptions {
  // Texts longer than `window` tokens are scored in windows of `window` tokens that start `stride`
  // tokens apart; each window scores only the tokens no earlier window scored, with the window's
  // earlier tokens as context (the Hugging Face perplexity guide's sliding window).
  int64_t window = 0;  // 0: the model's max_positions (the whole text when the model has no limit)
  int64_t stride = 0;  // 0: half the window; must be 1..window
  // Most token positions the windows may run through the model in all (a window runs all its
  // tokens, so a short stride costs about text length x window); 0: no limit. The server sets one
  // so that a small stride on a long text cannot hold a worker for minutes.
  int64_t max_positions_run = 0;
  // Also score the first token, conditioned on a start token put before the text: the tokenizer's
  // BOS token, else its EOS token (GPT-2's <|endoftext|>), as lm-evaluation-harness does for rolling
  // log-likelihood. The start token is context only (listed first, without a logprob). Nothing is
  // added where the tokenizer already starts the text with that token (Llama's BOS). Off by default:
  // the reference's model(**tokenizer(text)) has no prediction for the first token.
  bool score_first_token = false;
  // Most likely tokens listed at each scored position (ScoredToken::alternatives); 0: none.
  int64_t top_k = 0;
  // false: the text is a rendered chat prompt, which writes its own special tokens; it is
  // tokenized without adding any, as apply_chat_template(tokenize=True) does.
  bool add_special_tokens = true;
};

struct ScoredToken {
  int32_t id = 0;
  std::string token;               // vocabulary string
  std::string text;                // what it reads as
  std::optional<double> logprob;   // absent for the first token: nothing before it to predict it
  // The options' top_k most likely tokens at this position, most likely first (empty when the
  // token is not scored).
  std::vector<TokenScore> alternatives;
};

struct ScoreResult {
  std::string text;
  std::vector<ScoredToken> tokens;  // with special tokens (a BOS the tokenizer adds comes first)
  double total_logprob = 0;         // sum over the scored tokens
  int64_t scored_tokens = 0;
  double perplexity = 0;            // exp(-total_logprob / scored_tokens); NaN when nothing was scored
};

// Throws tokprob::OptionError naming the first field out of its range ("stride must be ...");
// the window is checked against the model's positions by the task.
void validate(const ScoreOptions& options);

// Every token's log-probability under a causal LM, text by text.
std::vector<ScoreResult> score(const Model& model, std::span<const std::string> texts, const ScoreOptions& options = {});

}  // namespace tokprob
