// The one place where JSON request bodies become task options: the fields of each task's options
// struct under the same names, with the same defaults, bounded by the server's limits.
#pragma once

#include "server/request_fields.hpp"
#include "server/server_options.hpp"
#include "tasks/classify.hpp"
#include "tasks/fill_mask.hpp"
#include "tasks/next.hpp"

namespace tokprob {

// {"text": "..." | ["...", ...]}: the texts of a native task request (at most limits.max_texts).
std::vector<std::string> texts_from_json(RequestFields& fields, const ServerLimits& limits);

// top_k, position, all_positions, targets.
NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits);

// top_k, targets.
FillMaskOptions fill_mask_options_from_json(RequestFields& fields, const ServerLimits& limits);

// function ("auto", "softmax", "sigmoid", "none"), pair.
ClassifyOptions classify_options_from_json(RequestFields& fields);

}  // namespace tokprob
