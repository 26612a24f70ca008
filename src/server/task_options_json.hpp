// The one place where JSON request bodies become task options: the fields of each task's options
// struct under the same names, with the same defaults, bounded by the server's limits.
#pragma once

#include "server/request_fields.hpp"
#include "server/server_options.hpp"
#include "tasks/classify.hpp"
#include "tasks/fill_mask.hpp"
#include "tasks/generate.hpp"
#include "tasks/next.hpp"
#include "tasks/score.hpp"
#include "tasks/seq2seq.hpp"

namespace tokprob {

// {"text": "..." | ["...", ...]}: the texts of a native task request (at most limits.max_texts).
std::vector<std::string> texts_from_json(RequestFields& fields, const ServerLimits& limits);

// top_k, position, all_positions, targets.
NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits);

// top_k, targets.
FillMaskOptions fill_mask_options_from_json(RequestFields& fields, const ServerLimits& limits);

// function ("auto", "softmax", "sigmoid", "none"), pair.
ClassifyOptions classify_options_from_json(RequestFields& fields);

// max_new_tokens, do_sample, temperature, top_k, top_p, min_p, repetition_penalty, seed,
// num_beams, num_return_sequences, length_penalty, early_stopping (false, true, "never"),
// logprobs, stop, eos_token_ids (default: `default_eos`, the model's generation_config.json).
GenerateOptions generate_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                           const std::vector<int32_t>& default_eos);

// window, stride, top_k (the work they imply bounded by limits.max_score_positions).
ScoreOptions score_options_from_json(RequestFields& fields, const ServerLimits& limits);

// top_k, max_new_tokens, target.
Seq2SeqOptions seq2seq_options_from_json(RequestFields& fields, const ServerLimits& limits);

}  // namespace tokprob
