#include "tasks/seq2seq_generation.hpp"

#include <algorithm>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// The reference's max_length when no file or option sets one: 20 new tokens, capped by the
// decoder's positions (max_position_embeddings) where the model has a fixed number.
constexpr int64_t kDefaultNewTokens = 20;

}  // namespace

Seq2SeqGeneration resolve_seq2seq_generation(const Seq2SeqOptions& o, const GenerationDefaults& d,
                                             const Seq2SeqInfo& info, std::optional<int32_t> tokenizer_eos) {
  validate(o);
  const std::string file = d.file.string();
  if (!d.unsupported.empty())
    fail(file + ": " + d.unsupported.front() + " is a generation setting tokprob's seq2seq does not support");
  Seq2SeqGeneration g;
  GenerationConfig& c = g.config;

  // Special tokens: a generation_config.json decides alone (decoder_start_token_id falling back to
  // its bos_token_id); without one, the model's config.json (with its class's defaults) does.
  const bool gen = d.from_generation_config;
  g.decoder_start_token_id = gen && d.decoder_start_token_id ? *d.decoder_start_token_id
                             : gen && d.bos_token_id         ? *d.bos_token_id
                                                             : info.decoder_start_token_id;
  if (gen && d.eos_token_ids) {
    c.eos_token_ids = *d.eos_token_ids;
  } else if (info.eos_token_id) {
    c.eos_token_ids = {*info.eos_token_id};
  } else if (tokenizer_eos) {
    c.eos_token_ids = {*tokenizer_eos};
  }
  TokenConstraints& k = c.constraints;
  k.eos_token_ids = c.eos_token_ids;
  k.forced_bos_token_id = gen ? d.forced_bos_token_id : info.forced_bos_token_id;
  if (gen) {
    if (d.forced_eos_token_ids) k.forced_eos_token_ids = *d.forced_eos_token_ids;
  } else if (info.forced_eos_token_id) {
    k.forced_eos_token_ids = {*info.forced_eos_token_id};
  }

  // Lengths: the reference's max_length and min_length count the decoder start token.
  int64_t max_new = 0;
  if (o.max_new_tokens) {
    max_new = *o.max_new_tokens;
  } else if (d.max_new_tokens) {
    max_new = *d.max_new_tokens;
  } else if (d.max_length) {
    max_new = *d.max_length - 1;
  } else {
    max_new = kDefaultNewTokens;
    if (info.max_positions > 0) max_new = std::min(max_new, info.max_positions - 1);
  }
  if (!o.max_new_tokens && (max_new < 1 || max_new > kMaxSeq2SeqNewTokens))
    fail(file + ": " + (d.max_new_tokens ? "max_new_tokens " : "max_length ") +
         std::to_string(d.max_new_tokens ? *d.max_new_tokens : *d.max_length) + " gives " + std::to_string(max_new) +
         " new tokens, outside tokprob's 1.." + std::to_string(kMaxSeq2SeqNewTokens) + "; give max_new_tokens");
  c.max_new_tokens = max_new;
  k.max_length = max_new + 1;
  if (o.min_new_tokens) {
    k.min_length = *o.min_new_tokens + 1;
  } else if (d.min_new_tokens) {
    k.min_length = *d.min_new_tokens + 1;
  } else if (d.min_length) {
    k.min_length = *d.min_length;
  }

  c.num_beams = o.num_beams.value_or(d.num_beams.value_or(1));
  c.length_penalty = o.length_penalty.value_or(d.length_penalty.value_or(1.0));
  c.early_stopping = o.early_stopping.value_or(d.early_stopping.value_or(EarlyStopping::heuristic));
  c.sampling.repetition_penalty = o.repetition_penalty.value_or(d.repetition_penalty.value_or(1.0));
  k.no_repeat_ngram_size = o.no_repeat_ngram_size.value_or(d.no_repeat_ngram_size.value_or(0));
  if (d.bad_words_ids) k.bad_words_ids = *d.bad_words_ids;
  c.top_logprobs = o.top_k;

  // A default out of range is the file's fault; an option's was caught by validate().
  if (c.num_beams < 1) fail(file + ": num_beams must be at least 1, got " + std::to_string(c.num_beams));
  if (!(c.sampling.repetition_penalty > 0))
    fail(file + ": repetition_penalty must be positive, got " + std::to_string(c.sampling.repetition_penalty));
  try {
    validate(k, info.vocab_size);
  } catch (const OptionError& e) {
    fail(file + ": " + e.what());
  }
  return g;
}

}  // namespace tokprob
