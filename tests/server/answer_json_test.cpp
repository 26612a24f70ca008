// answer_json, the in-process entry point the HTTP server and the http_body fuzz target share,
// and json_routes, the table of JSON endpoints each model kind gets.
#include <gtest/gtest.h>

#include <new>
#include <set>
#include <stdexcept>

#include "fixtures.hpp"
#include "server/routes.hpp"
#include "tokprob/error.hpp"

namespace tokprob::testing {
namespace {

nlohmann::json error_of(const httplib::Response& res) {
  const auto j = nlohmann::json::parse(res.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"] : nlohmann::json();
}

TEST(AnswerJson, BodyThatIsNotJsonIs400WithoutCallingTheHandler) {
  bool called = false;
  const JsonHandler handle = [&](const nlohmann::json&, httplib::Response&) { called = true; };
  for (const char* body : {"", "{", "nul", "{\"a\": 1} x", "\xff"}) {
    httplib::Response res;
    answer_json(handle, body, res);
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_EQ(error_of(res).value("code", ""), "invalid_json") << body;
  }
  EXPECT_FALSE(called);
}

TEST(AnswerJson, HandlerAnswersAndItsExceptionsBecomeJsonErrors) {
  httplib::Response ok;
  answer_json([](const nlohmann::json& body, httplib::Response& res) { set_json(res, {{"echo", body["x"]}}); },
              R"({"x": 3})", ok);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ok.body), (nlohmann::json{{"echo", 3}}));

  const auto status_for = [](const JsonHandler& handle) {
    httplib::Response res;
    answer_json(handle, "{}", res);
    EXPECT_TRUE(error_of(res).is_object()) << res.body;
    return res.status;
  };
  EXPECT_EQ(status_for([](const nlohmann::json&, httplib::Response&) { usage_error("field 'x' is bad"); }), 400);
  EXPECT_EQ(status_for([](const nlohmann::json&, httplib::Response&) { fail("text too long"); }), 400);
  EXPECT_EQ(status_for([](const nlohmann::json&, httplib::Response&) { throw std::bad_alloc(); }), 503);
  EXPECT_EQ(status_for([](const nlohmann::json&, httplib::Response&) { throw std::logic_error("bug"); }), 500);
}

// A task option's error names it as the request spells it, never by a command-line flag.
TEST(AnswerJson, OptionErrorsNameTheRequestsField) {
  httplib::Response res;
  answer_json([](const nlohmann::json&, httplib::Response&) { option_error("top_p", "must be in (0, 1]"); }, "{}", res);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(error_of(res)["message"], "top_p must be in (0, 1]");
  EXPECT_EQ(error_of(res)["code"], "invalid_field");

  // A route whose fields differ from the task's (completions' max_tokens is generate's max_new_tokens).
  ApiError e;
  try {
    option_error("max_new_tokens", "must be at least 1");
  } catch (...) {
    e = api_error_from_current_exception([](const std::string& field) {
      return field == "max_new_tokens" ? std::string("max_tokens") : field;
    });
  }
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "max_tokens must be at least 1");
}

TEST(AnswerJson, RoutesAreTheModelsEndpoints) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const char* fixture : {"gpt2-tiny", "t5-tiny", "bert-tiny-mlm", "distilbert-tiny-sst2"}) {
    if (!std::filesystem::exists(fixtures_dir() / fixture)) continue;
    const ServedModel model = load_served_model(fixtures_dir() / fixture, 4);
    const ServerOptions options;
    std::set<std::string> paths;
    for (const auto& [path, handle] : json_routes({&model, &options})) paths.insert(path);
    const auto endpoints = model.endpoints();
    EXPECT_EQ(paths, std::set<std::string>(endpoints.begin(), endpoints.end())) << fixture;
  }
}

}  // namespace
}  // namespace tokprob::testing
