// Logits processors: small pure functions on one row of logits, with the semantics and the order of
// transformers 4.38 `generate()` (repetition penalty, then temperature, top-k, top-p, min-p), and a
// chain that applies them as stages. They never know which model produced the row.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tokprob {

// Tokens already in the sequence (prompt included), each once: positive scores divided by
// `penalty`, negative ones multiplied (so a penalty > 1 always makes them less likely).
void apply_repetition_penalty(std::span<float> scores, std::span<const int32_t> seen, double penalty);

// scores / temperature (temperature > 0).
void apply_temperature(std::span<float> scores, double temperature);

// Keeps the tokens whose score is at least the k-th highest (ties with it all kept), at least
// `min_keep`; the rest become -inf. k <= 0 keeps everything.
void apply_top_k(std::span<float> scores, int64_t k, int64_t min_keep = 1);

// Nucleus filtering as the reference computes it: tokens sorted by ascending score (equal scores in
// id order), float32 softmax, cumulative sum; a token is removed when the cumulative probability up to
// and including it is <= 1 - top_p, except the `min_keep` most likely. In effect the smallest set of
// most likely tokens whose probability reaches top_p stays. top_p >= 1 keeps everything.
void apply_top_p(std::span<float> scores, double top_p, int64_t min_keep = 1);

// Removes tokens whose probability is below min_p x the most likely token's probability (at least
// `min_keep` most likely kept). min_p <= 0 keeps everything.
void apply_min_p(std::span<float> scores, double min_p, int64_t min_keep = 1);

// Bans (-inf) every token that would complete an n-gram of `n` tokens already in `context`.
void apply_no_repeat_ngram(std::span<float> scores, std::span<const int32_t> context, int64_t n);

// Bans the last token of every bad word whose other tokens end `context` (a one-token word always).
void apply_bad_words(std::span<float> scores, std::span<const int32_t> context,
                     const std::vector<std::vector<int32_t>>& bad_words);

// Every token but `ids` becomes -inf and each of `ids` 0 (the reference's forced BOS/EOS).
void force_tokens(std::span<float> scores, std::span<const int32_t> ids);

// One stage of a chain; `context` is the whole sequence so far (prompt + generated tokens).
class LogitsStage {
 public:
  virtual ~LogitsStage() = default;
  virtual void apply(std::span<float> scores, std::span<const int32_t> context) const = 0;
  virtual std::string name() const = 0;
};

class LogitsChain {
 public:
  void add(std::unique_ptr<LogitsStage> stage) { stages_.push_back(std::move(stage)); }
  void apply(std::span<float> scores, std::span<const int32_t> context) const {
    for (const auto& s : stages_) s->apply(scores, context);
  }
  bool empty() const { return stages_.empty(); }
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<LogitsStage>> stages_;
};

struct SamplingParams {
  // Doubles, as the reference's Python floats: top_p's threshold 1 - top_p is computed in double
  // before the float32 comparison, which decides exact boundaries.
  double temperature = 1.0;         // 1: unchanged
  int64_t top_k = 0;                // 0: off
  double top_p = 1.0;               // 1: off
  double min_p = 0.0;               // 0: off
  double repetition_penalty = 1.0;  // 1: off
};

// The processors that ban or force tokens whatever the decoding rule. Lengths count the whole
// context the processors see: a causal LM's prompt, or an encoder-decoder's decoder start token.
struct TokenConstraints {
  int64_t no_repeat_ngram_size = 0;                 // 0: off
  // Words (token sequences) never generated; a one-token word that is an EOS id is dropped, as the
  // reference drops it.
  std::vector<std::vector<int32_t>> bad_words_ids;
  int64_t min_length = 0;                           // EOS ids banned while the context is shorter
  std::vector<int32_t> eos_token_ids;               // what min_length bans
  std::optional<int32_t> forced_bos_token_id;       // forced when the context is one token long
  std::vector<int32_t> forced_eos_token_ids;        // forced when the context is max_length - 1 long
  int64_t max_length = 0;
};

// Throws an OptionError naming the field when a constraint's token id is outside [0, vocab_size)
// or a bad word is empty (the reference refuses both).
void validate(const TokenConstraints& constraints, int64_t vocab_size);

// The chain generate() uses, in the reference's order: the repetition penalty whenever it is not 1
// (greedy and beam search too), no_repeat_ngram, bad words, min_length, forced BOS, forced EOS;
// then, only when sampling, temperature, top-k, top-p and min-p, each only when it changes
// anything. `min_keep` is 1, or 2 for beam sampling, as in the reference.
LogitsChain make_logits_chain(const SamplingParams& params, bool sampling, int64_t min_keep = 1,
                              const TokenConstraints& constraints = {});

}  // namespace tokprob
