#include "generate/distribution_agreement.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

DistributionAgreement compare_distributions(std::span<const float> reference, std::span<const float> other,
                                            int64_t vocab, std::span<const int32_t> next_ids) {
  const int64_t rows = static_cast<int64_t>(next_ids.size());
  if (vocab <= 0 || static_cast<int64_t>(reference.size()) != rows * vocab || other.size() != reference.size())
    fail("internal: compare_distributions needs [positions, vocab] rows from both models");
  DistributionAgreement a;
  a.positions = rows;
  int64_t same_top1 = 0;
  std::vector<double> gaps;
  for (int64_t r = 0; r < rows; ++r) {
    if (next_ids[r] < 0 || next_ids[r] >= vocab) fail("internal: next token id outside the vocabulary");
    const Distribution p(reference.subspan(r * vocab, vocab)), q(other.subspan(r * vocab, vocab));
    double kl = 0;
    for (int32_t i = 0; i < vocab; ++i) {
      const double lp = p.logprob(i);
      kl += std::exp(lp) * (lp - q.logprob(i));
      a.max_abs_logit_diff = std::max(a.max_abs_logit_diff, std::abs(double(p.logit(i)) - q.logit(i)));
    }
    a.mean_kl += kl;
    a.max_kl = std::max(a.max_kl, kl);
    const auto top2 = p.top_k(2);
    const double gap = top2.size() == 2 ? double(top2[0].logit) - top2[1].logit : 0.0;
    gaps.push_back(gap);
    if (p.argmax() == q.argmax())
      ++same_top1;
    else
      a.max_disagreement_gap = std::max(a.max_disagreement_gap, gap);
    a.reference_nll -= p.logprob(next_ids[r]);
    a.nll -= q.logprob(next_ids[r]);
  }
  if (rows > 0) {
    a.mean_kl /= rows;
    a.top1_agreement = static_cast<double>(same_top1) / rows;
    a.reference_nll /= rows;
    a.nll /= rows;
    std::nth_element(gaps.begin(), gaps.begin() + rows / 2, gaps.end());
    a.median_top2_gap = gaps[rows / 2];
  }
  return a;
}

}  // namespace tokprob
