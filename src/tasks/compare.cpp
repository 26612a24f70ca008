#include "tasks/compare.hpp"

#include <cmath>
#include <limits>

#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// The logits after each of ids[0..n-2] (row t: after ids[0..t]).
std::vector<float> rows_of(const CausalLM& model, const std::vector<int32_t>& ids, const char* role) {
  const auto n = static_cast<int64_t>(ids.size());
  const int64_t max_pos = model.info().max_positions;
  if (max_pos > 0 && n > max_pos)
    usage_error("text of " + std::to_string(n) + " tokens is longer than the " + role + "'s " +
                std::to_string(max_pos) + " positions");
  auto state = model.new_state();
  DecodeChunk ch{state.get(), std::span<const int32_t>(ids), {}};
  for (int64_t t = 0; t < n - 1; ++t) ch.logits_for.push_back(t);
  return model.forward(std::span(&ch, 1));
}

// -sum_v P_p(v) log P_q(v), over the vocabulary both rows have.
double cross_entropy(const Distribution& p, const Distribution& q) {
  const int64_t v = std::min(p.size(), q.size());
  double h = 0;
  for (int32_t i = 0; i < v; ++i) {
    const double pi = p.prob(i);
    if (pi > 0) h -= pi * q.logprob(i);
  }
  return h;
}

}  // namespace

void check_same_tokenizer(const Tokenizer& observer, const Tokenizer& performer) {
  if (observer.vocab_size() != performer.vocab_size())
    usage_error("compare needs two models with one tokenizer: the observer's has " +
                std::to_string(observer.vocab_size()) + " tokens, the performer's " +
                std::to_string(performer.vocab_size()));
  for (size_t id = 0; id < observer.vocab_size(); ++id) {
    const auto i = static_cast<int32_t>(id);
    if (observer.id_to_token(i) != performer.id_to_token(i))
      usage_error("compare needs two models with one tokenizer: token id " + std::to_string(id) + " is \"" +
                  observer.id_to_token(i) + "\" for the observer, \"" + performer.id_to_token(i) + "\" for the performer");
  }
}

std::vector<CompareResult> compare_texts(const CausalLM& observer, const Tokenizer& observer_tokenizer,
                                         const CausalLM& performer, const Tokenizer& performer_tokenizer,
                                         std::span<const std::string> texts, const CompareOptions& options) {
  check_same_tokenizer(observer_tokenizer, performer_tokenizer);
  std::optional<int32_t> start_token;
  if (options.score_first_token) {
    const SpecialTokens& special = observer_tokenizer.special_tokens();
    start_token = special.bos ? special.bos : special.eos;
    if (!start_token) usage_error("the tokenizer has neither a BOS nor an EOS token to condition the first token on");
  }
  std::vector<CompareResult> results;
  for (const std::string& text : texts) {
    if (text.empty()) usage_error("empty text: give the text to compare");
    std::vector<int32_t> ids = observer_tokenizer.encode(text).ids;
    if (performer_tokenizer.encode(text).ids != ids)
      usage_error("compare needs two models with one tokenizer: their tokenizers give different ids for the text");
    if (start_token && (ids.empty() || ids.front() != *start_token)) ids.insert(ids.begin(), *start_token);
    CompareResult r;
    r.text = text;
    for (int32_t id : ids) {
      ComparedToken t;
      t.id = id;
      t.token = observer_tokenizer.id_to_token(id);
      t.text = observer_tokenizer.token_text(id);
      r.tokens.push_back(std::move(t));
    }
    const auto n = static_cast<int64_t>(ids.size());
    const std::vector<float> a = rows_of(observer, ids, "observer");
    const std::vector<float> b = rows_of(performer, ids, "performer");
    const int64_t va = observer.info().vocab_size, vb = performer.info().vocab_size;
    double sum_a = 0, sum_b = 0, sum_x = 0;
    for (int64_t t = 1; t < n; ++t) {
      const Distribution da(std::span<const float>(a).subspan((t - 1) * va, va));
      const Distribution db(std::span<const float>(b).subspan((t - 1) * vb, vb));
      ComparedToken& tok = r.tokens[t];
      tok.observer_logprob = da.logprob(ids[t]);
      tok.performer_logprob = db.logprob(ids[t]);
      tok.cross_entropy = cross_entropy(da, db);
      sum_a += *tok.observer_logprob;
      sum_b += *tok.performer_logprob;
      sum_x += *tok.cross_entropy;
      ++r.scored_tokens;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto scored = static_cast<double>(r.scored_tokens);
    r.observer_log_perplexity = r.scored_tokens ? -sum_a / scored : nan;
    r.performer_log_perplexity = r.scored_tokens ? -sum_b / scored : nan;
    r.cross_entropy = r.scored_tokens ? sum_x / scored : nan;
    r.binoculars = r.scored_tokens ? r.observer_log_perplexity / r.cross_entropy : nan;
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tokprob
