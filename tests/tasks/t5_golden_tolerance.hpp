// How closely t5-tiny's first-step probabilities can be held to its golden.json.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>

namespace tokprob::testing {

// The reference gives each case's first-step distribution twice: first_step_top10 (a forward
// pass) and greedy_step_logprobs[0] (generate). On t5-tiny (random weights with
// initializer_factor 2, attention scores unscaled) fp32 rounding makes the two disagree by 1.2e-5
// in probability for "summarize: ...". A float64 evaluation of the same weights
// (t5_float64_first_step.py beside this file) gives 0.51838865
// there: the golden's 0.518393 is 4.4e-6 above it, tokprob's 0.5183837 4.9e-6 below (0.5183826 in
// a batch under the sanitizer build). A bare 1e-5 against one of the two would hold tokprob to a
// precision the reference does not have on itself, so the README's 1e-5 is widened by that
// disagreement, read from the golden file (1.2e-5 and 6.5e-6 for its two cases).
inline double first_step_prob_tolerance(const nlohmann::json& golden_case) {
  const double forward = golden_case["first_step_top10"][0]["prob"].get<double>();
  const double generate = std::exp(golden_case["greedy_step_logprobs"][0].get<double>());
  return 1e-5 + std::abs(forward - generate);
}

}  // namespace tokprob::testing
