// The settings one seq2seq generation runs with: explicit options over the model's generation
// defaults over the reference's global defaults, as transformers 5's generate() resolves them.
#pragma once

#include <cstdint>
#include <optional>

#include "generate/generation.hpp"
#include "io/generation_defaults.hpp"
#include "models/seq2seq_lm.hpp"
#include "tokprob/seq2seq.hpp"

namespace tokprob {

struct Seq2SeqGeneration {
  int32_t decoder_start_token_id = 0;
  // max_new_tokens, num_beams, length_penalty, early_stopping, eos ids, the repetition penalty and
  // the token constraints (whose lengths count the decoder start token, as the reference's
  // decoder input_ids do).
  GenerationConfig config;
};

// `tokenizer_eos` stands in when neither the model nor its files name an end token. Throws an
// OptionError for an explicit option out of range, and tokprob::Error naming the file and key for
// a default tokprob cannot follow (an unsupported setting such as do_sample true, a length past
// kMaxSeq2SeqNewTokens).
Seq2SeqGeneration resolve_seq2seq_generation(const Seq2SeqOptions& options, const GenerationDefaults& defaults,
                                             const Seq2SeqInfo& info, std::optional<int32_t> tokenizer_eos);

}  // namespace tokprob
