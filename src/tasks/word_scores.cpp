#include "tasks/word_scores.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokenizer/unicode_text.hpp"

namespace tokprob {

double log_mass(const Distribution& dist, std::span<const int32_t> ids) {
  const auto end = std::lower_bound(ids.begin(), ids.end(), static_cast<int32_t>(dist.size()));
  if (ids.begin() == end) return -std::numeric_limits<double>::infinity();
  float max_logit = -std::numeric_limits<float>::infinity();
  for (auto it = ids.begin(); it != end; ++it) max_logit = std::max(max_logit, dist.logit(*it));
  if (std::isinf(max_logit)) return max_logit;
  double sum = 0;
  for (auto it = ids.begin(); it != end; ++it) sum += std::exp(static_cast<double>(dist.logit(*it)) - max_logit);
  return static_cast<double>(max_logit) + std::log(sum) - dist.logsumexp();
}

std::vector<ScoredWord> score_words(std::span<const ScoredToken> tokens, std::span<const WordTokens> words,
                                    const WordBoundaries& boundaries,
                                    std::span<const std::optional<double>> log_word_start, std::u32string_view text) {
  const auto has = [&](const std::vector<uint8_t>& set, size_t t) {
    const int32_t id = tokens[t].id;
    return id >= 0 && static_cast<size_t>(id) < set.size() && set[id];
  };
  // Whether tokens[t] begins a word (t past the end: the text ends).
  const auto begins_word = [&](size_t t) { return t == tokens.size() || has(boundaries.begins_word, t); };
  const auto ends_word = [&](size_t t) { return has(boundaries.ends_word, t); };
  std::vector<ScoredWord> out;
  for (const WordTokens& w : words) {
    ScoredWord s;
    s.begin = w.span.first;
    s.end = w.span.second;
    s.text = tok::to_utf8(text.substr(s.begin, s.end - s.begin));
    s.first_token = w.first_token;
    s.end_token = w.end_token;
    double naive = 0;
    bool scored = true;
    for (size_t t = w.first_token; t < w.end_token; ++t) {
      if (!tokens[t].logprob) scored = false;
      else naive += *tokens[t].logprob;
    }
    if (scored) {
      s.naive_logprob = naive;
      double corrected = naive;
      // Both distributions are there whenever the word is scored: its first token's was computed,
      // and so was every later one, the one after the text included.
      if (!ends_word(w.end_token - 1) && begins_word(w.end_token)) corrected += log_word_start[w.end_token].value();
      if (begins_word(w.first_token) && !(w.first_token > 0 && ends_word(w.first_token - 1)))
        corrected -= log_word_start[w.first_token].value();
      s.logprob = corrected;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tokprob
