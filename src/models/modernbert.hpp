// ModernBERT (ModernBertForMaskedLM, ModernBertForSequenceClassification, a bare ModernBertModel's
// backbone): pre-LayerNorm blocks (no first attention norm), fused qkv with RoPE, full attention
// every global_attn_every_n_layers layers and a local window of local_attention tokens elsewhere,
// each with its own rope base, a GeGLU feed-forward, a final norm, and heads on a
// dense -> act -> norm prediction head.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/encoder_model.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<EncoderModel> load_modernbert(const Config& config, Weights weights, EncoderHead head,
                                              const ModelLoadOptions& options = {});

}  // namespace tokprob
