// Zero-shot classification through an NLI sequence classifier, as the zero-shot-classification
// pipeline computes it (public options and results: the zero-shot fields of tokprob/classify.hpp).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/encoder_model.hpp"
#include "tokprob/classify.hpp"

namespace tokprob {

// The id of the model's entailment label: the first label, by id, whose lower-cased name starts
// with "entail". Throws naming the labels when there is none (the pipeline would silently take the
// last label instead).
int64_t entailment_label(const EncoderInfo& info);

// options.candidate_labels is not empty. All pairs of all texts run as one batch.
std::vector<ClassifyResult> zero_shot_classify(const EncoderModel& model, const Tokenizer& tokenizer,
                                               std::span<const std::string> texts, const ClassifyOptions& options);

}  // namespace tokprob
