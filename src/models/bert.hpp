// BERT (BertForMaskedLM, BertForSequenceClassification, a bare BertModel's backbone): learned
// absolute positions, token type embeddings, post-LayerNorm blocks, `hidden_act` everywhere.
#pragma once

#include <memory>
#include <string>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"
#include "models/post_ln_encoder.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_bert(const Config& config, Weights weights, EncoderHead head,
                                        const ModelLoadOptions& options = {});

// What BERT and RoBERTa checkpoints share: the config fields, the embeddings and the layers,
// under module prefix `p` ("bert.", "roberta." or none), into `s` (info included).
void read_bert_backbone(const Config& config, const EncoderTensors& r, const std::string& p, EncoderHead head,
                        PostLnEncoderSpec& s);

}  // namespace tokprob
