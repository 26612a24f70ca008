#include "tasks/seq2seq.hpp"
#include "tasks/token_score.hpp"

#include <cmath>

#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "tasks/option_value.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

void check_in_vocabulary(std::span<const int32_t> ids, int64_t vocab_size, const std::string& what) {
  for (int32_t id : ids)
    if (id < 0 || id >= vocab_size)
      fail(what + " has token id " + std::to_string(id) + " outside the model's vocabulary (" +
           std::to_string(vocab_size) + ")");
}

Seq2SeqStep make_step(const Distribution& dist, const Tokenizer& tokenizer, int32_t id, int64_t step, int64_t top_k,
                      bool need_rank) {
  Seq2SeqStep s;
  s.step = step;
  s.token = score_token(dist, tokenizer, id);
  s.rank = need_rank ? dist.rank(id) : 1;
  s.top = top_tokens(dist, tokenizer, top_k);
  return s;
}

void finish(Seq2SeqResult& r, const Tokenizer& tokenizer, std::optional<int32_t> eos) {
  r.output_text = tokenizer.decode(r.output_ids, /*skip_special_tokens=*/true);
  r.logprob = 0;
  for (const auto& s : r.steps) r.logprob += s.token.logprob;
  r.finished = eos && !r.output_ids.empty() && r.output_ids.back() == *eos;
}

// The reference's forced-token processors: the last step a length limit allows is the end token
// (forced_eos_token_id), which wins over forcing the first step (forced_bos_token_id) when both fall
// on it, as the reference applies them in that order.
std::optional<int32_t> forced_token(const Seq2SeqInfo& info, int64_t step, int64_t max_new_tokens) {
  if (info.forced_eos_token_id && step == max_new_tokens - 1) return info.forced_eos_token_id;
  if (info.forced_bos_token_id && step == 0) return info.forced_bos_token_id;
  return std::nullopt;
}

}  // namespace

void validate(const Seq2SeqOptions& options) {
  if (options.top_k < 1) option_error("top_k", "must be at least 1, got " + option_value(options.top_k));
  if (!options.target && (options.max_new_tokens < 1 || options.max_new_tokens > kMaxSeq2SeqNewTokens))
    option_error("max_new_tokens", "must be in 1.." + std::to_string(kMaxSeq2SeqNewTokens) + ", got " +
                                       option_value(options.max_new_tokens));
}

std::vector<Seq2SeqResult> seq2seq_step_distributions(const Seq2SeqLM& model, const Tokenizer& tokenizer,
                                                      std::span<const std::string> texts,
                                                      const Seq2SeqOptions& options) {
  validate(options);
  const auto& info = model.info();
  const int64_t V = info.vocab_size;
  const std::optional<int32_t> eos = info.eos_token_id ? info.eos_token_id : tokenizer.special_tokens().eos;

  std::vector<Seq2SeqResult> results;
  std::vector<std::vector<int32_t>> sources;
  for (const auto& text : texts) {
    if (text.empty()) usage_error("empty text: give the text the model should transform");
    Seq2SeqResult r;
    r.text = text;
    r.input_ids = tokenizer.encode(text, /*add_special_tokens=*/true).ids;
    if (r.input_ids.empty()) fail("text " + quoted_excerpt(text) + " has no tokens");
    check_in_vocabulary(r.input_ids, V, "text " + quoted_excerpt(text));
    r.target = options.target;
    sources.push_back(r.input_ids);
    results.push_back(std::move(r));
  }
  if (results.empty()) return results;
  auto states = model.encode(sources);

  if (options.target) {
    // Teacher forcing: the decoder reads the start token and the target shifted right, and every
    // row's distribution scores the next target token; one pass for all texts.
    const auto target_ids = tokenizer.encode_target(*options.target, /*add_special_tokens=*/true).ids;
    if (target_ids.empty()) usage_error("target " + quoted_excerpt(*options.target) + " has no tokens");
    check_in_vocabulary(target_ids, V, "target " + quoted_excerpt(*options.target));
    std::vector<int32_t> decoder_input = {info.decoder_start_token_id};
    decoder_input.insert(decoder_input.end(), target_ids.begin(), target_ids.end() - 1);
    std::vector<int64_t> rows;
    for (size_t i = 0; i < decoder_input.size(); ++i) rows.push_back(static_cast<int64_t>(i));
    std::vector<DecodeChunk> chunks;
    for (auto& st : states) chunks.push_back({st.get(), decoder_input, rows});
    const auto logits = model.decode(chunks);
    size_t row = 0;
    for (auto& r : results) {
      r.output_ids = target_ids;
      for (size_t i = 0; i < target_ids.size(); ++i) {
        Distribution dist(std::span<const float>(logits).subspan(row++ * V, V));
        r.steps.push_back(make_step(dist, tokenizer, target_ids[i], static_cast<int64_t>(i), options.top_k, true));
      }
      finish(r, tokenizer, eos);
    }
    return results;
  }

  // Greedy: every unfinished text advances one token per batch step.
  std::vector<int32_t> last(results.size(), info.decoder_start_token_id);
  std::vector<size_t> active;
  for (size_t s = 0; s < results.size(); ++s) active.push_back(s);
  for (int64_t step = 0; step < options.max_new_tokens && !active.empty(); ++step) {
    std::vector<DecodeChunk> chunks;
    for (size_t s : active) chunks.push_back({states[s].get(), std::span<const int32_t>(&last[s], 1), {0}});
    const auto logits = model.decode(chunks);
    std::vector<size_t> still;
    for (size_t a = 0; a < active.size(); ++a) {
      const size_t s = active[a];
      Distribution dist(std::span<const float>(logits).subspan(a * V, V));
      const std::optional<int32_t> forced = forced_token(info, step, options.max_new_tokens);
      const int32_t id = forced ? *forced : dist.argmax();
      results[s].steps.push_back(make_step(dist, tokenizer, id, step, options.top_k, forced.has_value()));
      results[s].output_ids.push_back(id);
      last[s] = id;
      if (!(eos && id == *eos)) still.push_back(s);
    }
    active = std::move(still);
  }
  for (auto& r : results) finish(r, tokenizer, eos);
  return results;
}

}  // namespace tokprob
