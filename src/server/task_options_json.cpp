#include "server/task_options_json.hpp"

#include "tokprob/error.hpp"

namespace tokprob {

std::vector<std::string> texts_from_json(RequestFields& fields, const ServerLimits& limits) {
  auto texts = fields.strings("text");
  if (static_cast<int64_t>(texts.size()) > limits.max_texts)
    usage_error("field 'text' has " + std::to_string(texts.size()) + " texts, more than the server's limit of " +
                std::to_string(limits.max_texts));
  return texts;
}

namespace {

std::vector<std::string> targets_from_json(RequestFields& fields) {
  auto targets = fields.optional_strings("targets");
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].empty()) usage_error("field 'targets[" + std::to_string(i) + "]' is empty");
  return targets;
}

}  // namespace

NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits) {
  NextOptions o;
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  o.position = fields.integer("position", o.position);
  o.all_positions = fields.boolean("all_positions", o.all_positions);
  o.targets = targets_from_json(fields);
  return o;
}

FillMaskOptions fill_mask_options_from_json(RequestFields& fields, const ServerLimits& limits) {
  FillMaskOptions o;
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  o.targets = targets_from_json(fields);
  return o;
}

ClassifyOptions classify_options_from_json(RequestFields& fields) {
  ClassifyOptions o;
  if (auto f = fields.optional_string("function")) {
    try {
      o.function = parse_score_function(*f);
    } catch (const Error& e) {
      usage_error("field 'function': " + std::string(e.what()));
    }
  }
  o.pair = fields.optional_string("pair");
  return o;
}

}  // namespace tokprob
