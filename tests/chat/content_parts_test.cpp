// Chat messages whose content is OpenAI's list of content parts: text parts only, handed as a list
// to a template that loops over a message's content and joined with "\n" for any other (as vLLM's
// OpenAI server reads them); any other part is refused naming its field. The expected renderings
// are jinja2's (transformers 5.25's apply_chat_template) of the same templates over the list, or
// over the joined text where the template reads content as a string.
#include <gtest/gtest.h>

#include <string>

#include "chat/jinja_content_loops.hpp"
#include "chat/jinja_parser.hpp"
#include "fixtures.hpp"
#include "tokprob/chat_template.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

bool loops_over_content(const std::string& source) {
  return jinja::loops_over_message_content(jinja::parse_template(source));
}

TEST(ContentLoops, ALoopOverAMessagesContentReadsParts) {
  EXPECT_TRUE(loops_over_content("{% for m in messages %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endfor %}"));
  EXPECT_TRUE(loops_over_content("{% for m in messages %}{% for p in m['content'] %}{% endfor %}{% endfor %}"));
  // The messages reached through a slice copied into another name, the content through a filter.
  EXPECT_TRUE(loops_over_content("{% set rest = messages[1:] %}{% set again = rest %}{% for m in again %}"
                                 "{% for p in m.content | selectattr('type', 'equalto', 'text') %}{% endfor %}{% endfor %}"));
  EXPECT_TRUE(loops_over_content("{% for m in messages | reverse %}{% if m.content is string %}{% else %}"
                                 "{% for p in m.content %}{% endfor %}{% endif %}{% endfor %}"));
  EXPECT_TRUE(loops_over_content("{% macro body(content) %}{% for p in content %}{% endfor %}{% endmacro %}"));
}

TEST(ContentLoops, ATemplateThatPrintsOrTestsContentReadsAString) {
  EXPECT_FALSE(loops_over_content("{% for m in messages %}{{ m.content | trim }}{% endfor %}"));
  EXPECT_FALSE(loops_over_content("{% for m in messages %}{% if m.content is string %}{{ m.content }}{% endif %}"
                                  "{% endfor %}"));
  // A loop over some other list's content, or over a message outside a loop over the messages.
  EXPECT_FALSE(loops_over_content("{% for m in tools %}{% for p in m.content %}{% endfor %}{% endfor %}"));
  EXPECT_FALSE(loops_over_content("{% for p in messages[0].content %}{% endfor %}"));
  EXPECT_FALSE(loops_over_content("{% for m in messages %}{% for c in m.content.split('\\n') %}{% endfor %}{% endfor %}"));
}

TEST(ContentLoops, FixtureTemplates) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/gemma3");
  const auto modern = testing::fixtures_dir() / "modern-tokenizers";
  // Gemma 3 loops over `message['content']` (its folder's template); Llama 3.1 and Qwen 3 print it.
  EXPECT_TRUE(loops_over_content(ChatTemplate::from_folder(modern / "gemma3").source()));
  EXPECT_FALSE(loops_over_content(ChatTemplate::from_folder(modern / "llama3").source()));
  EXPECT_FALSE(loops_over_content(ChatTemplate::from_folder(modern / "qwen3").source()));
}

constexpr const char* kParts =
    R"([{"role": "system", "content": [{"type": "text", "text": "Be"}, {"type": "text", "text": "brief."}]},)"
    R"( {"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]},)"
    R"( {"role": "assistant", "content": []}])";

TEST(ChatTemplate, ATemplateReadingPartsGetsTheList) {
  ChatTemplate t("{% for m in messages %}<{{ m.role }}>{% for p in m.content %}[{{ p.text }}]{% endfor %}{% endfor %}");
  EXPECT_EQ(t.render_json(kParts, false), "<system>[Be][brief.]<user>[Hi]<assistant>");
}

TEST(ChatTemplate, ATemplateReadingAStringGetsThePartsJoined) {
  ChatTemplate t("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% if m.content is string %}!{% endif %}"
                 "{% endfor %}");
  EXPECT_EQ(t.render_json(kParts, false), "<system>Be\nbrief.!<user>Hi!<assistant>!");
  // A string content is left as it is, and one given as a single part reads the same.
  EXPECT_EQ(t.render_json(R"([{"role": "user", "content": "Hi"}])", false),
            t.render_json(R"([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])", false));
}

std::string option_field_of(const ChatTemplate& t, const std::string& messages) {
  try {
    t.render_json(messages, false);
  } catch (const OptionError& e) {
    return e.field() + " | " + e.what();
  }
  return "(no OptionError)";
}

TEST(ChatTemplate, PartsOtherThanTextAreRefusedNamingTheField) {
  for (const char* source : {"{% for m in messages %}{{ m.content }}{% endfor %}",
                             "{% for m in messages %}{% for p in m.content %}{{ p }}{% endfor %}{% endfor %}"}) {
    ChatTemplate t(source);
    EXPECT_EQ(option_field_of(t, R"([{"role": "user", "content": "a"}, {"role": "user", "content": [)"
                                 R"({"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}])"),
              "messages[1].content[0].type | messages[1].content[0].type must be \"text\" (not \"image_url\"): "
              "tokprob reads text content only");
    EXPECT_EQ(option_field_of(t, R"([{"role": "user", "content": [{"type": "text", "text": "a"},)"
                                 R"( {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}])"),
              "messages[0].content[1].type | messages[0].content[1].type must be \"text\" (not \"input_audio\"): "
              "tokprob reads text content only");
    EXPECT_EQ(option_field_of(t, R"([{"role": "user", "content": [{"text": "a"}]}])"),
              "messages[0].content[0].type | messages[0].content[0].type must be \"text\"");
    EXPECT_EQ(option_field_of(t, R"([{"role": "user", "content": [{"type": "text", "text": null}]}])"),
              "messages[0].content[0].text | messages[0].content[0].text must be a string");
    EXPECT_EQ(option_field_of(t, R"([{"role": "user", "content": ["a"]}])"),
              "messages[0].content[0] | messages[0].content[0] must be a content part object "
              "({\"type\": \"text\", \"text\": ...})");
  }
}

}  // namespace
}  // namespace tokprob
