// Output of the `fill-mask` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <span>

#include "format/output_format.hpp"
#include "tasks/fill_mask.hpp"

namespace tokprob {

// {"text","input_ids","masks":[{"position","logsumexp",
//   "top":[{"id","token","text","prob","logprob","logit","sequence"}],
//   "targets":[{"target","pieces":[{"id","token"}],"whole_word","scored":"word"|"first piece",
//               "id","token","text","prob","logprob","logit","sequence"}]}]}
// A target's id..sequence are those of the token actually scored: the word, or its first piece.
nlohmann::json to_json(const FillMaskResult& r);

void write_fill_mask(std::ostream& out, std::span<const FillMaskResult> results, OutputFormat format,
                     const TableStyle& style);

}  // namespace tokprob
