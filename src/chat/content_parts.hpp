// A chat message's content given as OpenAI's list of content parts
// ([{"type": "text", "text": "..."}, ...]): tokprob reads text parts only, and hands them to a
// template as it reads them (see ChatTemplate::render_json).
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace tokprob {

// Throws OptionError naming the field at fault ("messages[1].content[0].type") when a part is not
// an object of type "text" with a string "text" (an image_url, input_audio, file, ... part).
void check_text_parts(const nlohmann::ordered_json& parts, size_t message_index);

// The parts' texts joined with "\n": the content of a template that reads content as a string,
// as vLLM's OpenAI server gives it to such a template.
std::string joined_text(const nlohmann::ordered_json& parts);

}  // namespace tokprob
