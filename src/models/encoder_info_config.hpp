// What every encoder family reads first from its config into EncoderInfo: the model type, the
// architecture, the head it was loaded for and the vocabulary size.
#pragma once

#include "io/config.hpp"
#include "models/encoder_model.hpp"

namespace tokprob {

// The rest of EncoderInfo (positions, token types, pad id, labels) stays at its defaults for the
// family to read, since each names and defaults them its own way.
EncoderInfo encoder_info_from_config(const Config& config, EncoderHead head);

}  // namespace tokprob
