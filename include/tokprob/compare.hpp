// The `compare` task: two causal LMs with one tokenizer on the same text: each token's
// log-probability under both, how far the observer's distributions are from the performer's
// (cross-entropy), and the Binoculars score of Hans et al. (2024, "Spotting LLMs with Binoculars").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokprob/model.hpp"

namespace tokprob {

struct CompareOptions {
  // Score the first token too, conditioned on the BOS (else EOS) token, as score does.
  bool score_first_token = false;
};

struct ComparedToken {
  int32_t id = 0;
  std::string token, text;
  // Absent for the first token (nothing before it predicts it).
  std::optional<double> observer_logprob, performer_logprob;
  // -sum_v P_observer(v) log P_performer(v) at this position (nats).
  std::optional<double> cross_entropy;
};

struct CompareResult {
  std::string text;
  std::vector<ComparedToken> tokens;
  int64_t scored_tokens = 0;
  // Means over the scored tokens, in nats; NaN when nothing was scored.
  double observer_log_perplexity = 0;   // -mean log P_observer(token): log PPL_M1
  double performer_log_perplexity = 0;  // -mean log P_performer(token)
  double cross_entropy = 0;             // mean of the tokens' cross_entropy: log X-PPL_M1,M2
  // The paper's B = log PPL_M1(s) / log X-PPL_M1,M2(s), M1 the observer, M2 the performer: low
  // for text the observer finds no more surprising than the performer's predictions would be.
  // (The paper's reference code puts the performer's log-perplexity on top instead:
  // performer_log_perplexity / cross_entropy.)
  double binoculars = 0;
};

// Throws a usage error unless both models are causal LMs with the same tokenizer (same vocabulary
// and ids for the text), or when a text does not fit a model's positions.
std::vector<CompareResult> compare(const Model& observer, const Model& performer, std::span<const std::string> texts,
                                   const CompareOptions& options = {});

}  // namespace tokprob
