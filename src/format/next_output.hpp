// Output of the `next` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tasks/next.hpp"

namespace tokprob {

// {"text","input_ids","position","logsumexp","top":[...],
//  "targets":[{"target","pieces","logprob","prob","context_tokens","boundary_moved"}]}
nlohmann::json to_json(const NextResult& r);

void write_next(std::ostream& out, std::span<const NextResult> results, OutputFormat format, const TableStyle& style);

}  // namespace tokprob
