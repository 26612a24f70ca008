#include "generate/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokprob/error.hpp"

namespace tokprob {

Distribution::Distribution(std::span<const float> logits) : logits_(logits) {
  float mx = -std::numeric_limits<float>::infinity();
  bool defined = true;  // no NaN and no +inf: neither has a probability
  for (float v : logits) {
    mx = std::max(mx, v);
    defined &= v < std::numeric_limits<float>::infinity();
  }
  // A model gives these only from corrupt weights or a config that breaks its arithmetic (e.g. a
  // negative normalisation epsilon): an error rather than NaN probabilities printed as numbers.
  if (!defined) fail("the model's logits hold NaN or infinity: its weights or config.json give non-finite values");
  if (!std::isfinite(mx)) {
    lse_ = mx;
    return;
  }
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  lse_ = mx + std::log(sum);
}

double Distribution::prob(int32_t id) const { return std::exp(logprob(id)); }

namespace {
// Higher logit first, then lower id.
struct Better {
  std::span<const float> l;
  bool operator()(int32_t a, int32_t b) const { return l[a] > l[b] || (l[a] == l[b] && a < b); }
};
}  // namespace

std::vector<RankedToken> Distribution::top_k(int64_t k) const {
  const int64_t n = size();
  k = std::clamp<int64_t>(k, 0, n);
  Better better{logits_};
  // One pass with a small heap beats materialising n indices when k << n.
  std::vector<int32_t> heap;
  heap.reserve(static_cast<size_t>(k) + 1);
  for (int32_t i = 0; i < n; ++i) {
    if (static_cast<int64_t>(heap.size()) < k) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (k > 0 && better(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  std::vector<RankedToken> out;
  out.reserve(heap.size());
  for (int32_t id : heap) out.push_back({id, logits_[id], logprob(id)});
  return out;
}

int64_t Distribution::rank(int32_t id) const {
  Better better{logits_};
  int64_t r = 1;
  for (int32_t i = 0; i < size(); ++i)
    if (better(i, id)) ++r;
  return r;
}

int32_t Distribution::argmax() const {
  int32_t best = 0;
  for (int32_t i = 1; i < size(); ++i)
    if (logits_[i] > logits_[best]) best = i;
  return best;
}

double Distribution::entropy() const {
  double h = 0.0;
  for (int32_t i = 0; i < size(); ++i) {
    const double lp = logprob(i);
    if (std::isfinite(lp)) h -= std::exp(lp) * lp;
  }
  return h;
}

}  // namespace tokprob
