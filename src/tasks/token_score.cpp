#include "tasks/token_score.hpp"

#include <cmath>

namespace tokprob {

namespace {
// Model vocabularies can be larger than the tokenizer's (padded embedding matrices): such ids
// have no string, and are shown by number rather than failing the whole request.
std::string safe_token(const Tokenizer& tok, int32_t id) {
  if (id >= 0 && static_cast<size_t>(id) < tok.vocab_size()) return tok.id_to_token(id);
  return "<id " + std::to_string(id) + ">";
}
std::string safe_text(const Tokenizer& tok, int32_t id) {
  if (id >= 0 && static_cast<size_t>(id) < tok.vocab_size()) return tok.token_text(id);
  return "";
}
}  // namespace

TokenScore named_token(const Tokenizer& tokenizer, int32_t id) {
  TokenScore s;
  s.id = id;
  s.token = safe_token(tokenizer, id);
  s.text = safe_text(tokenizer, id);
  return s;
}

TokenScore score_token(const Distribution& dist, const Tokenizer& tokenizer, int32_t id) {
  TokenScore s = named_token(tokenizer, id);
  s.logprob = dist.logprob(id);
  s.prob = std::exp(s.logprob);
  s.logit = dist.logit(id);
  return s;
}

std::vector<TokenScore> top_tokens(const Distribution& dist, const Tokenizer& tokenizer, int64_t k) {
  std::vector<TokenScore> out;
  for (const auto& t : dist.top_k(k)) out.push_back(score_token(dist, tokenizer, t.id));
  return out;
}

}  // namespace tokprob
