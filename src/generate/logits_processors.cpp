#include "generate/logits_processors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

constexpr float kRemoved = -std::numeric_limits<float>::infinity();

// float32 softmax like the reference's (max-shifted); removed (-inf) entries get 0.
std::vector<float> softmax_f32(std::span<const float> scores) {
  float mx = kRemoved;
  for (float v : scores) mx = std::max(mx, v);
  std::vector<float> p(scores.size(), 0.0f);
  if (!std::isfinite(mx)) return p;
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    p[i] = std::exp(scores[i] - mx);
    sum += p[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (float& v : p) v *= inv;
  return p;
}

// Indices by descending score, equal scores in id order.
std::vector<int32_t> order_descending(std::span<const float> scores) {
  std::vector<int32_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  return idx;
}

}  // namespace

void apply_repetition_penalty(std::span<float> scores, std::span<const int32_t> seen, double penalty_d) {
  if (penalty_d == 1.0) return;
  const auto penalty = static_cast<float>(penalty_d);
  // Read every seen score before writing, so a token seen twice is penalised once (gather, then scatter).
  std::vector<int32_t> ids(seen.begin(), seen.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= scores.size()) continue;
    float& s = scores[id];
    s = s < 0 ? s * penalty : s / penalty;
  }
}

void apply_temperature(std::span<float> scores, double temperature) {
  if (temperature == 1.0) return;
  const auto t = static_cast<float>(temperature);
  for (float& s : scores) s /= t;
}

void apply_top_k(std::span<float> scores, int64_t k, int64_t min_keep) {
  if (k <= 0) return;
  const auto n = static_cast<int64_t>(scores.size());
  k = std::min(std::max(k, min_keep), n);
  if (k >= n) return;
  std::vector<float> sorted(scores.begin(), scores.end());
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  const float kth = sorted[k - 1];
  for (float& s : scores)
    if (s < kth) s = kRemoved;
}

void apply_top_p(std::span<float> scores, double top_p, int64_t min_keep) {
  if (top_p >= 1.0) return;
  const auto n = static_cast<int64_t>(scores.size());
  // Ascending order; a stable sort keeps equal scores in id order, as torch.sort(stable) would.
  std::vector<int32_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return scores[a] < scores[b]; });
  std::vector<float> sorted(scores.size());
  for (int64_t i = 0; i < n; ++i) sorted[i] = scores[idx[i]];
  const std::vector<float> probs = softmax_f32(sorted);
  // torch's CPU cumsum accumulates float32 in double and stores float32; the threshold 1 - top_p is
  // compared as float32.
  const float threshold = static_cast<float>(1.0 - top_p);
  double cum = 0;
  for (int64_t i = 0; i < n - min_keep; ++i) {
    cum += probs[i];
    if (static_cast<float>(cum) <= threshold) scores[idx[i]] = kRemoved;
  }
}

void apply_min_p(std::span<float> scores, double min_p, int64_t min_keep) {
  if (min_p <= 0.0) return;
  const std::vector<float> probs = softmax_f32(scores);
  const float top = *std::max_element(probs.begin(), probs.end());
  const float cut = static_cast<float>(min_p) * top;
  const std::vector<int32_t> order = order_descending(scores);
  for (size_t r = static_cast<size_t>(std::max<int64_t>(min_keep, 0)); r < order.size(); ++r)
    if (probs[order[r]] < cut) scores[order[r]] = kRemoved;
}

void apply_no_repeat_ngram(std::span<float> scores, std::span<const int32_t> context, int64_t n) {
  const auto len = static_cast<int64_t>(context.size());
  if (n <= 0 || len < n) return;
  // The last n - 1 tokens, matched against the first n - 1 of every earlier n-gram: a match bans
  // that n-gram's last token.
  const std::span<const int32_t> suffix = context.subspan(static_cast<size_t>(len - (n - 1)));
  for (int64_t start = 0; start + n <= len; ++start) {
    if (!std::equal(suffix.begin(), suffix.end(), context.begin() + start)) continue;
    const int32_t banned = context[static_cast<size_t>(start + n - 1)];
    if (banned >= 0 && static_cast<size_t>(banned) < scores.size()) scores[banned] = kRemoved;
  }
}

void apply_bad_words(std::span<float> scores, std::span<const int32_t> context,
                     const std::vector<std::vector<int32_t>>& bad_words) {
  for (const auto& word : bad_words) {
    if (word.empty()) continue;
    const size_t prefix = word.size() - 1;
    if (prefix > context.size()) continue;
    if (!std::equal(word.begin(), word.end() - 1, context.end() - static_cast<std::ptrdiff_t>(prefix))) continue;
    const int32_t last = word.back();
    if (last >= 0 && static_cast<size_t>(last) < scores.size()) scores[last] = kRemoved;
  }
}

void force_tokens(std::span<float> scores, std::span<const int32_t> ids) {
  std::fill(scores.begin(), scores.end(), kRemoved);
  for (int32_t id : ids)
    if (id >= 0 && static_cast<size_t>(id) < scores.size()) scores[id] = 0.0f;
}

void validate(const TokenConstraints& c, int64_t vocab_size) {
  const auto check = [&](const char* field, int32_t id) {
    if (id < 0 || id >= vocab_size)
      option_error(field, "has token id " + std::to_string(id) + " outside the vocabulary (" +
                              std::to_string(vocab_size) + ")");
  };
  if (c.no_repeat_ngram_size < 0)
    option_error("no_repeat_ngram_size", "must be 0 (off) or more, got " + std::to_string(c.no_repeat_ngram_size));
  if (c.min_length < 0) option_error("min_length", "must be 0 or more, got " + std::to_string(c.min_length));
  for (const auto& word : c.bad_words_ids) {
    if (word.empty()) option_error("bad_words_ids", "holds an empty word");
    for (int32_t id : word) check("bad_words_ids", id);
  }
  if (c.forced_bos_token_id) check("forced_bos_token_id", *c.forced_bos_token_id);
  for (int32_t id : c.forced_eos_token_ids) check("forced_eos_token_id", id);
}

std::vector<std::string> LogitsChain::names() const {
  std::vector<std::string> out;
  for (const auto& s : stages_) out.push_back(s->name());
  return out;
}

namespace {

class RepetitionPenalty final : public LogitsStage {
 public:
  explicit RepetitionPenalty(double p) : p_(p) {}
  void apply(std::span<float> s, std::span<const int32_t> ctx) const override { apply_repetition_penalty(s, ctx, p_); }
  std::string name() const override { return "repetition_penalty"; }

 private:
  double p_;
};

class Temperature final : public LogitsStage {
 public:
  explicit Temperature(double t) : t_(t) {}
  void apply(std::span<float> s, std::span<const int32_t>) const override { apply_temperature(s, t_); }
  std::string name() const override { return "temperature"; }

 private:
  double t_;
};

class TopK final : public LogitsStage {
 public:
  TopK(int64_t k, int64_t keep) : k_(k), keep_(keep) {}
  void apply(std::span<float> s, std::span<const int32_t>) const override { apply_top_k(s, k_, keep_); }
  std::string name() const override { return "top_k"; }

 private:
  int64_t k_, keep_;
};

class TopP final : public LogitsStage {
 public:
  TopP(double p, int64_t keep) : p_(p), keep_(keep) {}
  void apply(std::span<float> s, std::span<const int32_t>) const override { apply_top_p(s, p_, keep_); }
  std::string name() const override { return "top_p"; }

 private:
  double p_;
  int64_t keep_;
};

class MinP final : public LogitsStage {
 public:
  MinP(double p, int64_t keep) : p_(p), keep_(keep) {}
  void apply(std::span<float> s, std::span<const int32_t>) const override { apply_min_p(s, p_, keep_); }
  std::string name() const override { return "min_p"; }

 private:
  double p_;
  int64_t keep_;
};

class NoRepeatNGram final : public LogitsStage {
 public:
  explicit NoRepeatNGram(int64_t n) : n_(n) {}
  void apply(std::span<float> s, std::span<const int32_t> ctx) const override { apply_no_repeat_ngram(s, ctx, n_); }
  std::string name() const override { return "no_repeat_ngram"; }

 private:
  int64_t n_;
};

class BadWords final : public LogitsStage {
 public:
  explicit BadWords(std::vector<std::vector<int32_t>> words) : words_(std::move(words)) {}
  void apply(std::span<float> s, std::span<const int32_t> ctx) const override { apply_bad_words(s, ctx, words_); }
  std::string name() const override { return "bad_words"; }

 private:
  std::vector<std::vector<int32_t>> words_;
};

class MinLength final : public LogitsStage {
 public:
  MinLength(int64_t min_length, std::vector<int32_t> eos) : min_(min_length), eos_(std::move(eos)) {}
  void apply(std::span<float> s, std::span<const int32_t> ctx) const override {
    if (static_cast<int64_t>(ctx.size()) >= min_) return;
    for (int32_t id : eos_)
      if (id >= 0 && static_cast<size_t>(id) < s.size()) s[id] = kRemoved;
  }
  std::string name() const override { return "min_length"; }

 private:
  int64_t min_;
  std::vector<int32_t> eos_;
};

// Forces `ids` when the context is `at` tokens long.
class ForceAt final : public LogitsStage {
 public:
  ForceAt(int64_t at, std::vector<int32_t> ids, std::string name) : at_(at), ids_(std::move(ids)), name_(std::move(name)) {}
  void apply(std::span<float> s, std::span<const int32_t> ctx) const override {
    if (static_cast<int64_t>(ctx.size()) == at_) force_tokens(s, ids_);
  }
  std::string name() const override { return name_; }

 private:
  int64_t at_;
  std::vector<int32_t> ids_;
  std::string name_;
};

bool is_any_of(const std::vector<int32_t>& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

}  // namespace

LogitsChain make_logits_chain(const SamplingParams& p, bool sampling, int64_t min_keep, const TokenConstraints& c) {
  LogitsChain chain;
  if (p.repetition_penalty != 1.0) chain.add(std::make_unique<RepetitionPenalty>(p.repetition_penalty));
  if (c.no_repeat_ngram_size > 0) chain.add(std::make_unique<NoRepeatNGram>(c.no_repeat_ngram_size));
  std::vector<std::vector<int32_t>> bad;
  for (const auto& word : c.bad_words_ids)
    if (!(word.size() == 1 && is_any_of(c.eos_token_ids, word[0]))) bad.push_back(word);
  if (!bad.empty()) chain.add(std::make_unique<BadWords>(std::move(bad)));
  if (c.min_length > 0 && !c.eos_token_ids.empty()) chain.add(std::make_unique<MinLength>(c.min_length, c.eos_token_ids));
  if (c.forced_bos_token_id)
    chain.add(std::make_unique<ForceAt>(1, std::vector<int32_t>{*c.forced_bos_token_id}, "forced_bos"));
  if (!c.forced_eos_token_ids.empty())
    chain.add(std::make_unique<ForceAt>(c.max_length - 1, c.forced_eos_token_ids, "forced_eos"));
  if (!sampling) return chain;
  if (p.temperature != 1.0) chain.add(std::make_unique<Temperature>(p.temperature));
  if (p.top_k > 0) chain.add(std::make_unique<TopK>(p.top_k, min_keep));
  if (p.top_p < 1.0) chain.add(std::make_unique<TopP>(p.top_p, min_keep));
  if (p.min_p > 0.0) chain.add(std::make_unique<MinP>(p.min_p, min_keep));
  return chain;
}

}  // namespace tokprob
