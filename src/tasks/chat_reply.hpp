// The engine side of tokprob/chat_reply.hpp.
#pragma once

#include "models/causal_lm.hpp"
#include "tokprob/chat_reply.hpp"

namespace tokprob {

ScoreResult score_chat_reply(const CausalLM& model, const Tokenizer& tokenizer, const ChatTemplate& chat_template,
                             std::string_view messages_json, const std::string& reply, const ScoreOptions& options,
                             std::string_view variables_json = "{}");

}  // namespace tokprob
