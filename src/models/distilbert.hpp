// DistilBERT (DistilBertForMaskedLM, DistilBertForSequenceClassification): BERT's post-LayerNorm
// encoder without token types or pooler; position embeddings are always stored (sinusoidal ones
// too), so they are read like learned ones.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/encoder_model.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_distilbert(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options = {});

}  // namespace tokprob
