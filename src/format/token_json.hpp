// JSON of the pieces every task shares.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "tasks/token_score.hpp"

namespace tokprob {

nlohmann::json to_json(const TokenScore& t);  // {"id","token","text","prob","logprob","logit"}
nlohmann::json to_json(const std::vector<TokenScore>& tokens);

// Serialises with invalid UTF-8 (a token that is part of a character) replaced, never throwing.
std::string dump_json_line(const nlohmann::json& j);

}  // namespace tokprob
