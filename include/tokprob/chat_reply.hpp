// Scoring an assistant's reply under a conversation: how likely the model finds each token of the
// reply given the conversation before it (rendered by the model's chat template), which is how
// answers are compared without a reward model.
#pragma once

#include <string>
#include <string_view>

#include "tokprob/chat_template.hpp"
#include "tokprob/model.hpp"
#include "tokprob/score.hpp"

namespace tokprob {

// The conversation (`messages_json`, as ChatTemplate::render_json takes it) is rendered with its
// generation prompt, and again with {"role": "assistant", "content": reply} appended; the tokens of
// the second rendering past the first are the reply's (through the template's end-of-turn marker,
// whose probability says how likely the model ends its turn there). The result lists those tokens
// only, each with its log-probability given everything before it; total_logprob, scored_tokens and
// perplexity are over them, and `text` is the reply as the template wrote it. Throws tokprob::Error
// when the template renders the reply's turn so that it does not extend the generation prompt.
ScoreResult score_reply(const Model& model, const ChatTemplate& chat_template, std::string_view messages_json,
                        const std::string& reply, const ScoreOptions& options = {},
                        std::string_view variables_json = "{}");

}  // namespace tokprob
