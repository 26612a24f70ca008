// Whether a chat template reads a message's content as a list of parts (OpenAI's
// [{"type": "text", "text": ...}, ...]) or only as a string: a template that loops over a
// message's content takes parts; any other would print a list as Python writes it.
#pragma once

#include "chat/jinja_ast.hpp"

namespace tokprob::jinja {

// True when the template has a `for` over the content of a message it loops over
// (`{% for part in message['content'] %}`, the messages also reached through `set` copies,
// slices and filters), or over a variable named `content`: the same reading of the template
// that vLLM's OpenAI server makes to choose between its "openai" and "string" content formats.
bool loops_over_message_content(const Template& t);

}  // namespace tokprob::jinja
