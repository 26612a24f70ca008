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

NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits) {
  NextOptions o;
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  o.position = fields.integer("position", o.position);
  o.all_positions = fields.boolean("all_positions", o.all_positions);
  o.targets = fields.optional_strings("targets");
  for (size_t i = 0; i < o.targets.size(); ++i)
    if (o.targets[i].empty()) usage_error("field 'targets[" + std::to_string(i) + "]' is empty");
  return o;
}

}  // namespace tokprob
