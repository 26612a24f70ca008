// The `score` task: how likely a causal LM finds a whole text, token by token: each token's
// log-probability given everything before it, the total, and the perplexity.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tokprob/model.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/tokenizer.hpp"
#include "tokprob/word_boundaries.hpp"

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
  // The entropy of each scored position's distribution and the rank of the actual token in it
  // (ScoredToken::entropy, rank).
  bool token_stats = false;
  // Word probabilities (ScoreResult::words). Words are the text's runs of characters between
  // whitespace, with each run of punctuation a word of its own (WordSplit::punctuation), or the
  // runs between whitespace alone (WordSplit::whitespace), or `word_spans` where given.
  bool words = false;
  enum class WordSplit { punctuation, whitespace };
  WordSplit word_split = WordSplit::punctuation;
  // [begin, end) in code points (as Python indexes a str), one list per text, ascending and
  // disjoint; a word's tokens are those whose offsets overlap it. Empty: split by word_split.
  std::vector<std::vector<std::pair<size_t, size_t>>> word_spans;
  // false: the text is a rendered chat prompt, which writes its own special tokens; it is
  // tokenized without adding any, as apply_chat_template(tokenize=True) does.
  bool add_special_tokens = true;
};

// "punctuation", "whitespace"; parse_word_split throws an OptionError on "word_split" otherwise.
const char* word_split_name(ScoreOptions::WordSplit split);
ScoreOptions::WordSplit parse_word_split(const std::string& name);

struct ScoredToken {
  int32_t id = 0;
  std::string token;               // vocabulary string
  std::string text;                // what it reads as
  std::optional<double> logprob;   // absent for the first token: nothing before it to predict it
  // The options' top_k most likely tokens at this position, most likely first (empty when the
  // token is not scored).
  std::vector<TokenScore> alternatives;
  // With ScoreOptions::token_stats, for scored tokens: the entropy (nats) of the distribution the
  // token was drawn from, and the token's 1-based rank in it (1: the most likely token).
  std::optional<double> entropy;
  std::optional<int64_t> rank;
};

// One word of the text with its probability given the text before it.
struct ScoredWord {
  std::string text;
  size_t begin = 0, end = 0;             // [begin, end) in code points of the text
  size_t first_token = 0, end_token = 0;  // its tokens: ScoreResult::tokens[first_token, end_token)
  // Sum of its tokens' logprobs: the probability of its tokens, not of the word (it also counts
  // every longer word that starts with them). Absent where a token is not scored (the first).
  std::optional<double> naive_logprob;
  // The word's probability (Pimentel & Meister 2024): the naive value times P(the next token
  // begins a word, or is EOS | text through the word) over the same probability at the word's own
  // start. Each factor is taken where the tokens mark a word boundary there, so that a text's word
  // logprobs still add up to its tokens': the first unless the word's last token ends with
  // whitespace (a word-end marker already says the word ended) or the next token does not begin a
  // word (a "," right after it); the second only where the word's first token begins a word and
  // the token before does not end with whitespace (not "Hello" at the start of a GPT-2 text).
  std::optional<double> logprob;
};

struct ScoreResult {
  std::string text;
  std::vector<ScoredToken> tokens;  // with special tokens (a BOS the tokenizer adds comes first)
  double total_logprob = 0;         // sum over the scored tokens
  int64_t scored_tokens = 0;
  double perplexity = 0;            // exp(-total_logprob / scored_tokens); NaN when nothing was scored
  // With ScoreOptions::words: the words in text order, and how the vocabulary marks words.
  std::optional<std::vector<ScoredWord>> words;
  WordBoundaries::Marker word_marker = WordBoundaries::Marker::none;
};

// "none", "word_start", "word_end".
const char* word_marker_name(WordBoundaries::Marker marker);

// Throws tokprob::OptionError naming the first field out of its range ("stride must be ...");
// the window is checked against the model's positions by the task.
void validate(const ScoreOptions& options);

// Every token's log-probability under a causal LM, text by text.
std::vector<ScoreResult> score(const Model& model, std::span<const std::string> texts, const ScoreOptions& options = {});

}  // namespace tokprob
