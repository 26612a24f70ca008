// Output of the `classify` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tasks/classify.hpp"

namespace tokprob {

// {"text","pair"(only for a pair),"input_ids","function","labels":[{"label","id","prob","logit"}]}
// "prob" is the score after "function" (softmax, sigmoid, or none: the logit itself).
nlohmann::json to_json(const ClassifyResult& r);

void write_classify(std::ostream& out, std::span<const ClassifyResult> results, OutputFormat format,
                    const TableStyle& style);

}  // namespace tokprob
