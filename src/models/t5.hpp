// T5 / mT5 (T5ForConditionalGeneration, MT5ForConditionalGeneration): encoder-decoder with RMS
// LayerNorm, unscaled attention, relative position buckets (bias table in layer 0 of each stack),
// relu or gated (gelu_new, silu, ...) feed-forward, LM head tied to the shared embeddings (with
// the d_model^-0.5 rescaling) or untied.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/seq2seq_lm.hpp"

namespace tokprob {

std::unique_ptr<Seq2SeqLM> load_t5(const Config& config, Weights weights, const ModelLoadOptions& options = {});

// T5's bucket of a key at distance `relative_position` = key position - query position:
// half the buckets for exact small distances, the rest logarithmic up to `max_distance`;
// bidirectional stacks (the encoder) spend half the buckets on keys after the query.
int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional, int64_t num_buckets,
                                    int64_t max_distance);

}  // namespace tokprob
