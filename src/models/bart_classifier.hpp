// BartForSequenceClassification (and mBART's): the encoder-decoder run over the text, the decoder
// fed the text shifted right behind decoder_start_token_id, and the classification head
// (dense -> tanh -> out_proj) on the decoder's last hidden state at the text's last EOS token, as
// the reference pools it. Served as a sequence classifier, so classify and zero-shot take it.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"

namespace tokprob {

// Throws for `head` masked_lm (BART has no masked-LM head) and for a checkpoint without the
// classification head.
std::unique_ptr<EncoderModel> load_bart_classifier(const Config& config, Weights weights, EncoderHead head,
                                                   const ModelLoadOptions& options = {});

}  // namespace tokprob
