#include "format/token_json.hpp"

namespace tokprob {

nlohmann::json to_json(const TokenScore& t) {
  return {{"id", t.id}, {"token", t.token}, {"text", t.text}, {"prob", t.prob}, {"logprob", t.logprob},
          {"logit", t.logit}};
}

nlohmann::json to_json(const std::vector<TokenScore>& tokens) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& t : tokens) a.push_back(to_json(t));
  return a;
}

std::string dump_json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tokprob
