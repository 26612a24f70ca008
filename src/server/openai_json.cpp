#include "server/openai_json.hpp"

namespace tokprob {

std::string dump_ordered(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

ojson usage_json(int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

std::string usage_event(const ojson& head, int64_t prompt_tokens, int64_t completion_tokens) {
  ojson event = head;
  event["choices"] = ojson::array();
  event["usage"] = usage_json(prompt_tokens, completion_tokens);
  return "data: " + dump_ordered(event) + "\n\n";
}

}  // namespace tokprob
