// RoBERTa and XLM-RoBERTa (RobertaForMaskedLM, RobertaForSequenceClassification, the XLM-R
// equivalents, a bare RobertaModel's backbone): BERT's backbone, with positions numbered from
// pad_token_id + 1 and its own heads (the LM head's activation is always exact GELU).
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_roberta(const Config& config, Weights weights, EncoderHead head,
                                           const ModelLoadOptions& options = {});

}  // namespace tokprob
