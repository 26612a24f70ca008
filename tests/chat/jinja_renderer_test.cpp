// The Jinja engine against Python's jinja2: tests/data/chat/jinja_cases.json holds small templates
// and what jinja2 rendered from them in transformers' chat-template environment (written by
// tests/data/chat/make_jinja_cases.py), plus the errors a template can meet.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "chat/jinja_parser.hpp"
#include "chat/jinja_renderer.hpp"
#include "fixtures.hpp"
#include "tokprob/chat_template.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

jinja::Value to_value(const nlohmann::ordered_json& j) {
  if (j.is_null()) return jinja::Value::none();
  if (j.is_boolean()) return jinja::Value(j.get<bool>());
  if (j.is_number_integer()) return jinja::Value(j.get<int64_t>());
  if (j.is_number()) return jinja::Value(j.get<double>());
  if (j.is_string()) return jinja::Value(j.get<std::string>());
  if (j.is_array()) {
    jinja::ValueList items;
    for (const auto& item : j) items.push_back(to_value(item));
    return items;
  }
  jinja::ValueDict d;
  for (const auto& [k, v] : j.items()) d.set(k, to_value(v));
  return d;
}

std::string render(const std::string& source, const jinja::Variables& variables = {}) {
  jinja::Template t = jinja::parse_template(source);
  jinja::check_template_names(t);
  return jinja::render_template(t, variables);
}

std::string error_of(const std::string& source, const jinja::Variables& variables = {}) {
  try {
    render(source, variables);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(JinjaRenderer, MatchesJinja2OnEveryRecordedCase) {
  // Ordered: a dict's key order is what jinja2 iterates and tojson writes.
  std::ifstream in(std::filesystem::path(TOKPROB_SOURCE_DIR) / "tests/data/chat/jinja_cases.json");
  const auto cases = nlohmann::ordered_json::parse(in);
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    jinja::Variables variables;
    for (const auto& [k, v] : c["variables"].items()) variables[k] = to_value(v);
    EXPECT_EQ(render(c["template"].get<std::string>(), variables), c["expected"].get<std::string>())
        << "case " << c["name"];
  }
}

TEST(JinjaRenderer, SyntaxErrorIsOneLineWithTheLine) {
  std::string e = error_of("ok\n{% if %}x{% endif %}");
  EXPECT_EQ(e, "chat template: line 2: expected an expression, got end of statement block");
  EXPECT_EQ(error_of("{% for x in y %}"), "chat template: line 1: unexpected end of template, expected 'else' or 'endfor'");
  EXPECT_EQ(error_of("{{ 'abc }}"), "chat template: line 1: unterminated string literal");
  EXPECT_EQ(error_of("{% frobnicate %}"), "chat template: line 1: unknown tag 'frobnicate'");
}

TEST(JinjaRenderer, UnknownFilterOrTestIsNamedBeforeRendering) {
  // jinja2 refuses these when it compiles the template, even on a branch never taken.
  EXPECT_EQ(error_of("{% if false %}{{ x | bogus }}{% endif %}"), "chat template: line 1: unknown filter 'bogus'");
  EXPECT_EQ(error_of("\n{{ x is bogus }}"), "chat template: line 2: unknown test 'bogus'");
}

TEST(JinjaRenderer, RuntimeErrorsNameTheProblem) {
  EXPECT_EQ(error_of("{{ x.y }}"), "chat template: line 1: 'x' is undefined");
  EXPECT_EQ(error_of("{{ 'a' + 1 }}"), "chat template: line 1: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(error_of("{{ foo(1) }}"), "chat template: line 1: 'foo' is undefined");
  EXPECT_EQ(error_of("{{ [1].append(2) }}"), "chat template: line 1: access to attribute 'append' of 'list object' is unsafe");
  EXPECT_EQ(error_of("{% set x = 1 %}{% set x.a = 2 %}"), "chat template: line 1: cannot assign attribute on non-namespace object 'x'");
}

TEST(JinjaRenderer, RaiseExceptionCarriesTheTemplatesMessage) {
  EXPECT_EQ(error_of("{{ raise_exception('Roles must alternate') }}"),
            "chat template raised an exception: Roles must alternate");
}

TEST(JinjaRenderer, StrftimeNowFormatsTheCurrentDate) {
  std::string year = render("{{ strftime_now('%Y') }}");
  ASSERT_EQ(year.size(), 4u);
  EXPECT_GE(std::stoi(year), 2024);
}

TEST(ChatTemplate, SpecialTokensAndVariablesReachTheTemplate) {
  ChatTemplate t("{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}"
                 "{% if add_generation_prompt %}>{% endif %}{{ tools is none }}{{ extra }}",
                 {{"bos_token", "<s>"}});
  std::vector<ChatMessage> messages{{"user", "hi"}, {"assistant", "yo"}};
  EXPECT_EQ(t.render(messages, true), "<s>[user:hi][assistant:yo]>True");
  EXPECT_EQ(t.render_json(R"([{"role":"user","content":"hi"}])", false, R"({"extra":"!"})"), "<s>[user:hi]True!");
}

TEST(ChatTemplate, MessagesOfTheWrongShapeAreRefused) {
  ChatTemplate t("{% for m in messages %}{{ m.content }}{% endfor %}");
  auto error = [&](const std::string& json) {
    try {
      t.render_json(json, false);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error(R"({"role":"user"})"), "messages: must be a list of message objects");
  EXPECT_EQ(error(R"([{"role":"user","content":"a"}, "b"])"), "messages[1]: must be an object with role and content");
  EXPECT_EQ(error("[1,"), "messages: not valid JSON");
}

TEST(ChatTemplate, ReasoningIsAliasedAsTransformersDoes) {
  ChatTemplate t("{% for k, v in messages[0] | items %}{{ k }}={{ v }};{% endfor %}");
  EXPECT_EQ(t.render_json(R"([{"role":"assistant","content":"c","reasoning":"r"}])", false),
            "thinking=r;role=assistant;content=c;reasoning=r;reasoning_content=r;");
}

TEST(ChatTemplate, FolderTemplateFromTokenizerConfig) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/gemma");
  auto t = ChatTemplate::from_folder(testing::fixtures_dir() / "modern-tokenizers/gemma");
  std::vector<ChatMessage> messages{{"user", " Hello "}};
  // Expected: transformers 5.25, AutoTokenizer(gemma fixture).apply_chat_template(tokenize=False).
  EXPECT_EQ(t.render(messages, true), "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n");
  std::vector<ChatMessage> with_system{{"system", "s"}, {"user", "u"}};
  EXPECT_THROW(t.render(with_system, true), Error);
}

// transformers 5: chat_template.jinja wins over tokenizer_config.json's chat_template; a list of
// named templates gives the one named "default"; special_tokens_map.json's tokens win over
// tokenizer_config.json's. Expected: transformers 5.25's apply_chat_template on these files.
TEST(ChatTemplate, FolderLookupFollowsTransformers) {
  const auto dir = std::filesystem::temp_directory_path() / ("tokprob_chat_lookup_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ eos_token }}"}],)"
      << R"( "eos_token": {"content": "</s>", "special": true}})";
  std::ofstream(dir / "special_tokens_map.json") << R"({"bos_token": "<s>", "eos_token": "<other>"})";
  std::vector<ChatMessage> messages{{"user", "hi"}};
  EXPECT_EQ(ChatTemplate::from_folder(dir).render(messages, false), "D<other>");
  std::ofstream(dir / "chat_template.jinja") << "J{{ bos_token }}{{ eos_token }}\n";
  EXPECT_EQ(ChatTemplate::from_folder(dir).render(messages, false), "J<s><other>");
  std::filesystem::remove_all(dir);
}

TEST(ChatTemplate, FolderWithoutTemplateIsNamed) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  EXPECT_FALSE(ChatTemplate::folder_has_template(testing::fixtures_dir() / "gpt2-tiny"));
  EXPECT_THROW(ChatTemplate::from_folder(testing::fixtures_dir() / "gpt2-tiny"), Error);
}

}  // namespace
}  // namespace tokprob
