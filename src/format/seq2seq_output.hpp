// Output of the `seq2seq` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tasks/seq2seq.hpp"

namespace tokprob {

// {"text","input_ids","target"(forced only),"output_ids","output_text","logprob","finished",
//  "steps":[{"step","id","token","text","prob","logprob","logit","rank","top":[...]}]}
nlohmann::json to_json(const Seq2SeqResult& r);

void write_seq2seq(std::ostream& out, std::span<const Seq2SeqResult> results, OutputFormat format,
                   const TableStyle& style);

}  // namespace tokprob
