// Output of the `score` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tasks/score.hpp"

namespace tokprob {

// {"text","tokens":[{"id","token","text","logprob"}],"total_logprob","scored_tokens","perplexity"};
// logprob is null for the first token (and perplexity null when nothing was scored).
nlohmann::json to_json(const ScoreResult& r);

void write_score(std::ostream& out, std::span<const ScoreResult> results, OutputFormat format, const TableStyle& style);

}  // namespace tokprob
