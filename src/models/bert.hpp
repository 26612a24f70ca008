// BERT (BertForMaskedLM, BertForSequenceClassification, a bare BertModel's backbone): learned
// absolute positions, token type embeddings, post-LayerNorm blocks, `hidden_act` everywhere.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/encoder_model.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_bert(const Config& config, Weights weights, EncoderHead head,
                                              const LoadOptions& options = {});

}  // namespace tokprob
