#include "tasks/chat_reply.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "tasks/score.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

ScoreResult score_chat_reply(const CausalLM& model, const Tokenizer& tokenizer, const ChatTemplate& chat_template,
                             std::string_view messages_json, const std::string& reply, const ScoreOptions& options,
                             std::string_view variables_json) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(messages_json, nullptr, false);
  if (messages.is_discarded() || !messages.is_array()) fail("messages: must be a list of message objects");
  const std::string prompt = chat_template.render_json(messages_json, /*add_generation_prompt=*/true, variables_json);
  messages.push_back({{"role", "assistant"}, {"content", reply}});
  const std::string full = chat_template.render_json(messages.dump(), /*add_generation_prompt=*/false, variables_json);
  if (full.compare(0, prompt.size(), prompt) != 0)
    fail("reply: the chat template writes the assistant's turn differently from its generation prompt, so the "
         "reply's tokens cannot be told from the conversation's");
  if (full.size() == prompt.size()) fail("reply: the chat template writes nothing for the reply");

  ScoreOptions o = options;
  o.add_special_tokens = false;
  ScoreResult scored = score_texts(model, tokenizer, std::span<const std::string>(&full, 1), o).at(0);
  // Offsets count code points; a token of the reply is one that covers text past the prompt.
  const Encoding enc = tokenizer.encode(full, /*add_special_tokens=*/false);
  const size_t prompt_chars = tok::utf8_length(prompt);
  ScoreResult out;
  out.text = full.substr(prompt.size());
  for (size_t i = 0; i < scored.tokens.size() && i < enc.offsets.size(); ++i) {
    if (enc.offsets[i].second <= prompt_chars) continue;
    out.tokens.push_back(scored.tokens[i]);
    if (scored.tokens[i].logprob) {
      out.total_logprob += *scored.tokens[i].logprob;
      ++out.scored_tokens;
    }
  }
  out.perplexity = out.scored_tokens > 0 ? std::exp(-out.total_logprob / static_cast<double>(out.scored_tokens))
                                         : std::nan("");
  return out;
}

}  // namespace tokprob
