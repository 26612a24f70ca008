// Output of the `generate` task in every format.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>

#include "format/output_format.hpp"
#include "tasks/generate.hpp"

namespace tokprob {

// {"text","input_ids","mode","seed"?,"sequences":[{"ids","new_ids","text","score","finish_reason",
//   "steps":[{"id","token","text","logprob","prob","processed_logprob","top":[{"id","token","text","prob","logprob","logit"}]}]}]}
// logprob/prob: the model's raw distribution; processed_logprob: after the logits processors.
nlohmann::json to_json(const GenerateResult& r);

// One streamed token: {"sequence","id","token","text","delta","logprob","processed_logprob"}.
nlohmann::json stream_event_json(size_t sequence, const GeneratedToken& token, std::string_view delta);

// The CSV header line, written once before the rows of every prompt: each row names its prompt
// (`text`) and its sequence's generated text (`continuation`).
void write_generate_csv_header(std::ostream& out);

// `text_streamed`: the table output already showed the text as it came (then only the per-step
// tables follow, when steps have alternatives or `show_steps`).
void write_generate(std::ostream& out, const GenerateResult& r, OutputFormat format, const TableStyle& style,
                    bool text_streamed, bool show_steps);

}  // namespace tokprob
