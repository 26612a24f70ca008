#include "generate/logits_processors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

}  // namespace

LogitsChain make_logits_chain(const SamplingParams& p, bool sampling, int64_t min_keep) {
  LogitsChain chain;
  if (p.repetition_penalty != 1.0) chain.add(std::make_unique<RepetitionPenalty>(p.repetition_penalty));
  if (!sampling) return chain;
  if (p.temperature != 1.0) chain.add(std::make_unique<Temperature>(p.temperature));
  if (p.top_k > 0) chain.add(std::make_unique<TopK>(p.top_k, min_keep));
  if (p.top_p < 1.0) chain.add(std::make_unique<TopP>(p.top_p, min_keep));
  if (p.min_p > 0.0) chain.add(std::make_unique<MinP>(p.min_p, min_keep));
  return chain;
}

}  // namespace tokprob
