// The engine side of the task (public options and results: tokprob/classify.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/encoder_model.hpp"
#include "tokprob/classify.hpp"

namespace tokprob {

// All texts run as one batch. Throws tokprob::Error for an empty text or one longer than the
// model's positions.
std::vector<ClassifyResult> classify(const EncoderModel& model, const Tokenizer& tokenizer,
                                     std::span<const std::string> texts, const ClassifyOptions& options);

}  // namespace tokprob
