#include "tasks/seq2seq.hpp"
#include "tasks/token_score.hpp"

#include <algorithm>
#include <cmath>

#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "generate/generation.hpp"
#include "tasks/seq2seq_generation.hpp"
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

bool is_any_of(std::span<const int32_t> ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

void finish(Seq2SeqResult& r, const Tokenizer& tokenizer, std::span<const int32_t> eos) {
  r.output_text = tokenizer.decode(r.output_ids, /*skip_special_tokens=*/true);
  r.logprob = 0;
  for (const auto& s : r.steps) r.logprob += s.token.logprob;
  r.finished = !r.output_ids.empty() && is_any_of(eos, r.output_ids.back());
}

TokenScore ranked_score(const RankedToken& t, const Tokenizer& tokenizer) {
  TokenScore s = named_token(tokenizer, t.id);
  s.logprob = t.logprob;
  s.prob = std::exp(t.logprob);
  s.logit = t.logit;
  return s;
}

// The best beam's steps, each under the raw distribution it was chosen from.
void take_beam(Seq2SeqResult& r, const GeneratedSequence& best, const Tokenizer& tokenizer) {
  r.output_ids = best.new_ids;
  r.beam_score = best.score;
  for (size_t i = 0; i < best.steps.size(); ++i) {
    const GeneratedStep& g = best.steps[i];
    Seq2SeqStep s;
    s.step = static_cast<int64_t>(i);
    s.token = ranked_score({g.id, g.logit, g.logprob}, tokenizer);
    s.rank = g.rank;
    for (const auto& t : g.top) s.top.push_back(ranked_score(t, tokenizer));
    r.steps.push_back(std::move(s));
  }
}

}  // namespace

void validate(const Seq2SeqOptions& options) {
  const auto& o = options;
  if (o.top_k < 1) option_error("top_k", "must be at least 1, got " + option_value(o.top_k));
  if (o.target) return;  // scoring a target ignores the generation settings
  if (o.max_new_tokens && (*o.max_new_tokens < 1 || *o.max_new_tokens > kMaxSeq2SeqNewTokens))
    option_error("max_new_tokens", "must be in 1.." + std::to_string(kMaxSeq2SeqNewTokens) + ", got " +
                                       option_value(*o.max_new_tokens));
  if (o.min_new_tokens && *o.min_new_tokens < 0)
    option_error("min_new_tokens", "must be 0 or more, got " + option_value(*o.min_new_tokens));
  if (o.num_beams && *o.num_beams < 1) option_error("num_beams", "must be at least 1, got " + option_value(*o.num_beams));
  if (o.no_repeat_ngram_size && *o.no_repeat_ngram_size < 0)
    option_error("no_repeat_ngram_size", "must be 0 (off) or more, got " + option_value(*o.no_repeat_ngram_size));
  if (o.length_penalty && !std::isfinite(*o.length_penalty))
    option_error("length_penalty", "must be a finite number, got " + option_value(*o.length_penalty));
  if (o.repetition_penalty && !(*o.repetition_penalty > 0 && std::isfinite(*o.repetition_penalty)))
    option_error("repetition_penalty", "must be positive, got " + option_value(*o.repetition_penalty));
}

std::vector<Seq2SeqResult> seq2seq_step_distributions(const Seq2SeqLM& model, const Tokenizer& tokenizer,
                                                      std::span<const std::string> texts,
                                                      const Seq2SeqOptions& options,
                                                      const GenerationDefaults& defaults) {
  validate(options);
  const auto& info = model.info();
  const int64_t V = info.vocab_size;
  const std::optional<int32_t> tokenizer_eos = tokenizer.special_tokens().eos;
  std::vector<int32_t> eos;
  if (info.eos_token_id) {
    eos = {*info.eos_token_id};
  } else if (tokenizer_eos) {
    eos = {*tokenizer_eos};
  }
  // Resolved before any work, so that a setting tokprob cannot follow fails fast.
  const std::optional<Seq2SeqGeneration> gen =
      options.target ? std::nullopt
                     : std::optional<Seq2SeqGeneration>(resolve_seq2seq_generation(options, defaults, info, tokenizer_eos));

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

  const GenerationConfig& c = gen->config;
  const std::vector<int32_t> start = {gen->decoder_start_token_id};
  if (c.num_beams > 1) {
    // Beam search, text by text (the beams of one text are the batch).
    const StepDecoder decoder{V, [&model](std::span<DecodeChunk> chunks) { return model.decode(chunks); },
                              [&info](int64_t length) { return info.max_positions <= 0 || length < info.max_positions; }};
    for (size_t s = 0; s < results.size(); ++s) {
      DecodeChunk first{states[s].get(), start, {0}};
      const std::vector<float> logits = model.decode(std::span<DecodeChunk>(&first, 1));
      const auto best = beam_search(decoder, std::move(states[s]), logits, start, c);
      take_beam(results[s], best.front(), tokenizer);
      finish(results[s], tokenizer, c.eos_token_ids);
    }
    return results;
  }

  // Greedy: every unfinished text advances one token per batch step; the first maximum of the
  // processed scores wins, as torch.argmax picks it.
  const LogitsChain chain = make_logits_chain(c.sampling, /*sampling=*/false, 1, c.constraints);
  std::vector<std::vector<int32_t>> context(results.size(), start);
  std::vector<size_t> active;
  for (size_t s = 0; s < results.size(); ++s) active.push_back(s);
  std::vector<float> scores(static_cast<size_t>(V));
  for (int64_t step = 0; step < c.max_new_tokens && !active.empty(); ++step) {
    std::vector<DecodeChunk> chunks;
    for (size_t s : active) chunks.push_back({states[s].get(), std::span<const int32_t>(&context[s].back(), 1), {0}});
    const auto logits = model.decode(chunks);
    std::vector<size_t> still;
    for (size_t a = 0; a < active.size(); ++a) {
      const size_t s = active[a];
      const std::span<const float> row = std::span<const float>(logits).subspan(a * V, V);
      Distribution dist(row);
      std::copy(row.begin(), row.end(), scores.begin());
      chain.apply(scores, context[s]);
      const auto id = static_cast<int32_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
      results[s].steps.push_back(make_step(dist, tokenizer, id, step, options.top_k, id != dist.argmax()));
      results[s].output_ids.push_back(id);
      context[s].push_back(id);
      if (!is_any_of(c.eos_token_ids, id)) still.push_back(s);
    }
    active = std::move(still);
  }
  for (auto& r : results) finish(r, tokenizer, c.eos_token_ids);
  return results;
}

}  // namespace tokprob
