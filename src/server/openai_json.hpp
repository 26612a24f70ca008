// JSON pieces the OpenAI-shaped routes (/v1/completions, /v1/chat/completions) both write: keys in
// the order they were set, and the usage object and its final stream event.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tokprob {

using ojson = nlohmann::ordered_json;

// Serialises like dump_json_line, keeping the order the keys were written in.
std::string dump_ordered(const ojson& j);

ojson usage_json(int64_t prompt_tokens, int64_t completion_tokens);

// The stream event that carries only the usage (stream_options.include_usage): `head` (id, object,
// created, model) with no choices, as a server-sent event line.
std::string usage_event(const ojson& head, int64_t prompt_tokens, int64_t completion_tokens);

}  // namespace tokprob
