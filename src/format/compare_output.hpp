// Output of the `compare` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tokprob/compare.hpp"

namespace tokprob {

// {"text","tokens":[{"id","token","text","observer_logprob","performer_logprob","cross_entropy"}],
//  "scored_tokens","observer_log_perplexity","performer_log_perplexity","cross_entropy","binoculars"};
// nulls for the first token and, when nothing was scored, for the means.
nlohmann::json to_json(const CompareResult& r);

void write_compare(std::ostream& out, std::span<const CompareResult> results, OutputFormat format);

}  // namespace tokprob
