// How far one model's next-token distributions are from a reference's on the same positions:
// used to measure what reduced-precision weights (--dtype) cost in accuracy.
#pragma once

#include <cstdint>
#include <span>

namespace tokprob {

struct DistributionAgreement {
  int64_t positions = 0;
  double mean_kl = 0, max_kl = 0;  // KL(reference || other) in nats, per position
  double top1_agreement = 0;       // fraction of positions with the same most likely token
  double max_abs_logit_diff = 0;
  // Where the top tokens differ, the reference's logit gap between its first and second token:
  // the largest such gap, and the median gap over all positions, tell flips of near-ties from
  // real changes.
  double max_disagreement_gap = 0, median_top2_gap = 0;
  // Mean negative log-likelihood of the text's next tokens, and its exp (perplexity).
  double reference_nll = 0, nll = 0;
};

// Rows [positions, vocab] of logits from both models; next_ids[r] is the token that follows row r.
DistributionAgreement compare_distributions(std::span<const float> reference, std::span<const float> other,
                                            int64_t vocab, std::span<const int32_t> next_ids);

}  // namespace tokprob
