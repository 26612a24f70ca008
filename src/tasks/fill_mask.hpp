// The engine side of the task (public options and results: tokprob/fill_mask.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/encoder_model.hpp"
#include "tokprob/fill_mask.hpp"

namespace tokprob {

// All texts run as one batch. With several masks in a text, each is predicted on its own (the
// others stay masked) and its `sequence` keeps the other masks as the mask token; a single mask's
// `sequence` is the pipeline's (decode with special tokens skipped).
// Throws tokprob::Error for a tokenizer without a mask token, a text without one, an empty or
// untokenizable target, or a text longer than the model's positions.
std::vector<FillMaskResult> fill_mask(const EncoderModel& model, const Tokenizer& tokenizer,
                                      std::span<const std::string> texts, const FillMaskOptions& options);

}  // namespace tokprob
