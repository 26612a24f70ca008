// The engine side of the task (public options and results: tokprob/seq2seq.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/generation_defaults.hpp"
#include "models/seq2seq_lm.hpp"
#include "tokprob/seq2seq.hpp"

namespace tokprob {

// Every text is one batch row (encoded together, decoded step by step together); results come
// text by text. Throws tokprob::Error for an empty text, a bad option, or token ids outside the
// model's vocabulary. `defaults` are the model folder's generation settings (unused when scoring a
// target).
std::vector<Seq2SeqResult> seq2seq_step_distributions(const Seq2SeqLM& model, const Tokenizer& tokenizer,
                                                      std::span<const std::string> texts,
                                                      const Seq2SeqOptions& options,
                                                      const GenerationDefaults& defaults = {});

}  // namespace tokprob
