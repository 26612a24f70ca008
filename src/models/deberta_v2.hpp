// DeBERTa-v2 and v3 (DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification, a bare
// DebertaV2Model's backbone): BERT's post-LayerNorm encoder with disentangled attention, whose
// scores add content-to-position (c2p) and position-to-content (p2c) terms read from relative
// position embeddings, log-bucketed past position_buckets / 2.
#pragma once

#include <cstdint>
#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_deberta_v2(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options = {});

// make_log_bucket_position of the reference, in its float32 arithmetic: the relative position
// `relative` (query minus key) as a bucket, itself within ±(bucket_size / 2) and logarithmic past it
// up to max_position.
int64_t deberta_log_bucket(int64_t relative, int64_t bucket_size, int64_t max_position);

}  // namespace tokprob
