// The one place where JSON request bodies become task options: the fields of each task's options
// struct under the same names, bounded by the server's limits. A field that is absent keeps the
// value of `base` (the struct's defaults for the server; the command line's options for the lines
// of a JSONL file, corpus/jsonl_job.hpp).
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
NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits, NextOptions base = {});

// top_k, targets.
FillMaskOptions fill_mask_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                            FillMaskOptions base = {});

// function ("auto", "softmax", "sigmoid", "none"), pair.
ClassifyOptions classify_options_from_json(RequestFields& fields, ClassifyOptions base = {});

// max_new_tokens, do_sample, temperature, top_k, top_p, min_p, repetition_penalty, seed,
// num_beams, num_return_sequences, length_penalty, early_stopping (false, true, "never"),
// logprobs, stop, eos_token_ids (default: `default_eos`, the model's generation_config.json).
GenerateOptions generate_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                           const std::vector<int32_t>& default_eos, GenerateOptions base = {});

// window, stride, top_k (the work they imply bounded by limits.max_score_positions),
// score_first_token, token_stats, words, word_split and word_spans (either of the last two turns
// words on).
ScoreOptions score_options_from_json(RequestFields& fields, const ServerLimits& limits, ScoreOptions base = {});

// top_k, target, and the generation settings max_new_tokens, min_new_tokens, num_beams,
// no_repeat_ngram_size, length_penalty, early_stopping (false, true, "never") and
// repetition_penalty; an absent one keeps `base`'s (unset: the model's generation defaults).
Seq2SeqOptions seq2seq_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                          Seq2SeqOptions base = {});

}  // namespace tokprob
