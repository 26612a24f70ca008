// The checks every encoder makes of a ragged batch before computing it.
#pragma once

#include <cstdint>
#include <span>

#include "models/encoder_model.hpp"

namespace tokprob {

// Throws tokprob::Error for an empty sequence, one longer than info.max_positions, an id or type id
// outside its vocabulary, or masked-LM rows asked of a model without that head (`has_mlm_head`).
// Returns the number of packed rows (the sum of the sequences' lengths).
int64_t validate_encoder_batch(const EncoderInfo& info, bool has_mlm_head, std::span<const EncoderSequence> seqs);

}  // namespace tokprob
