// The probability distribution over the vocabulary given one row of logits.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tokprob {

struct RankedToken {
  int32_t id;
  float logit;
  double logprob;
};

class Distribution {
 public:
  // Keeps a view of `logits`: the row must outlive the Distribution.
  explicit Distribution(std::span<const float> logits);

  double logsumexp() const { return lse_; }
  int64_t size() const { return static_cast<int64_t>(logits_.size()); }
  float logit(int32_t id) const { return logits_[id]; }
  double logprob(int32_t id) const { return static_cast<double>(logits_[id]) - lse_; }
  double prob(int32_t id) const;
  // The k most likely tokens, most likely first; equal logits rank the lower id first
  // (as torch.topk on CPU does). Partial selection: never sorts the whole vocabulary.
  std::vector<RankedToken> top_k(int64_t k) const;
  // 1-based rank of `id` (1 = most likely).
  int64_t rank(int32_t id) const;
  int32_t argmax() const;
  double entropy() const;  // in nats

 private:
  std::span<const float> logits_;
  double lse_;
};

}  // namespace tokprob
