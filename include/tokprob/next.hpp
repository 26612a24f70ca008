// The `next` task: the next-token distribution of a causal LM after a text, at the last position
// or any other, with the probabilities of given continuations.
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

// At most this many (position, token) rows in one request's results: `-k` of a whole vocabulary at
// every position of a long text would otherwise take gigabytes.
inline constexpr int64_t kMaxListedTokens = int64_t{1} << 22;

struct NextOptions {
  // Tokens listed per distribution (>= 1; more than the vocabulary lists the whole distribution).
  int64_t top_k = 10;
  // Index in input_ids whose next token is predicted; negative counts from the end
  // (-1 = the last token, the default).
  int64_t position = -1;
  bool all_positions = false;        // one distribution per input position
  // Continuations scored at each reported position, taken literally (" go", not "go", for a
  // word after a space). A target is scored as the tokens it becomes inside the text: the text up to
  // the reported position (all of it at the last token, else up to the end of that token) and the
  // target are tokenized as one string, and the pieces are the tokens after the context's own. So
  // `next --targets T` gives the sum that `score` gives over the tokens of text + T after the
  // context, and a target equal to a listed token's text gets that token's probability. Where the
  // context's last tokens merge with the target (GPT-2 "a" + "nd" -> "and"), the context is the
  // longest common token prefix and the pieces are the rest, starting with the changed tokens:
  // TargetScore::boundary_moved says so. A target that merges into the text's first token cannot be
  // scored (an error). A continuation of several pieces gets each piece's conditional probability
  // and their product.
  std::vector<std::string> targets;
  // false: the text is a rendered chat prompt, which writes its own special tokens; it is
  // tokenized without adding any, as apply_chat_template(tokenize=True) does.
  bool add_special_tokens = true;
};

struct TargetScore {
  std::string target;
  std::vector<TokenScore> pieces;  // piece i conditioned on the context and pieces 0..i-1
  // Tokens of the text the first piece is conditioned on: position + 1, or fewer when the target
  // merged with the context's last tokens (boundary_moved; the pieces then begin with those).
  int64_t context_tokens = 0;
  bool boundary_moved = false;
  double logprob = 0;              // sum over pieces (chain rule)
  double prob = 0;
};

struct NextResult {
  std::string text;
  std::vector<int32_t> input_ids;
  int64_t position = 0;            // index in input_ids whose next token is predicted
  TokenScore context;              // that token: id, vocabulary string and text (no probability)
  double logsumexp = 0;            // of the logits row
  std::vector<TokenScore> top;
  std::vector<TargetScore> targets;
};

// Throws tokprob::OptionError naming the first field out of its range ("top_k must be at least 1").
// A position is checked against each text by the task.
void validate(const NextOptions& options);

// The next-token distribution after each text of a causal LM (one batch); results come text by
// text (and position by position). Throws tokprob::Error for an empty text, a position outside the
// text, an empty target, a text longer than the model's context, more than kMaxListedTokens rows
// in all, or a model of another kind.
std::vector<NextResult> next(const Model& model, std::span<const std::string> texts, const NextOptions& options = {});

}  // namespace tokprob
