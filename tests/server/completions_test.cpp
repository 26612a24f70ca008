// /v1/completions as OpenAI clients use it: top_logprobs most likely first, the API's other fields
// accepted, a request's prompts run together, and generation that stops when the client leaves.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

class ServerCompletions : public Gpt2ServerSuite {
 protected:
  // The answer with its keys in the order the server wrote them.
  static nlohmann::ordered_json post_ordered(const nlohmann::json& body) {
    auto c = server_->client();
    auto res = c.Post("/v1/completions", body.dump(), "application/json");
    if (!res) return nullptr;
    EXPECT_EQ(res->status, 200) << res->body;
    return nlohmann::ordered_json::parse(res->body, nullptr, false);
  }
};

// golden: prompts[].top10, the most likely next tokens after the whole prompt, most likely first.
TEST_F(ServerCompletions, TopLogprobsComeMostLikelyFirst) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  for (const auto& p : (*golden_)["prompts"]) {
    const auto body = post_ordered(
        {{"prompt", p["text"]}, {"max_tokens", 1}, {"temperature", 0}, {"logprobs", 5}, {"echo", true}});
    ASSERT_TRUE(body.is_object());
    const auto& lp = body["choices"][0]["logprobs"];
    const auto& tops = lp["top_logprobs"];
    const size_t n = p["input_ids"].size();
    ASSERT_EQ(tops.size(), n + 1);
    // The generated token's alternatives: the golden top 5 in its order.
    std::vector<std::string> keys;
    for (const auto& [text, logprob] : tops[n].items()) keys.push_back(text);
    ASSERT_GE(keys.size(), 5u);
    for (size_t k = 0; k < 5; ++k) EXPECT_EQ(keys[k], p["top10"][k]["decoded"].get<std::string>()) << p["text"] << " rank " << k;
    // The echoed prompt's: non-increasing.
    for (size_t i = 1; i <= n; ++i) {
      double previous = 0;
      for (const auto& [text, logprob] : tops[i].items()) {
        EXPECT_LE(logprob.get<double>(), previous) << p["text"] << " position " << i << " " << text;
        previous = logprob.get<double>();
      }
    }
  }
}

TEST_F(ServerCompletions, AcceptsTheFieldsOfTheOpenAIApiAndRefusesUnknownOnes) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const nlohmann::json full = {{"model", "gpt2-tiny"},       {"prompt", "Hello"},     {"suffix", nullptr},
                               {"max_tokens", 3},            {"temperature", 0},      {"top_p", 1},
                               {"n", 1},                     {"stream", false},       {"logprobs", nullptr},
                               {"echo", false},              {"stop", nullptr},       {"presence_penalty", 0},
                               {"frequency_penalty", 0},     {"best_of", 1},          {"logit_bias", nlohmann::json::object()},
                               {"user", "someone"},          {"seed", 7},             {"stream_options", nullptr}};
  auto [status, body] = server_->post("/v1/completions", full);
  EXPECT_EQ(status, 200) << body.dump();
  nlohmann::json with_options = full;
  with_options["stream_options"] = {{"include_usage", false}};
  with_options["suffix"] = "";
  EXPECT_EQ(server_->post("/v1/completions", with_options).first, 200);

  for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"max_token", 3}, {"logprob", 2}, {"stream_option", nlohmann::json::object()}}) {
    nlohmann::json bad = {{"prompt", "Hello"}, {"max_tokens", 1}};
    bad[field] = value;
    auto [s, e] = server_->post("/v1/completions", bad);
    EXPECT_EQ(s, 400) << field;
    EXPECT_NE(e["error"]["message"].get<std::string>().find("'" + field + "'"), std::string::npos) << e.dump();
  }
  auto [s, e] = server_->post("/v1/completions",
                              nlohmann::json{{"prompt", "Hello"}, {"stream_options", {{"include_usages", true}}}});
  EXPECT_EQ(s, 400);
  EXPECT_NE(e["error"]["message"].get<std::string>().find("include_usages"), std::string::npos) << e.dump();
  auto [s2, e2] = server_->post("/v1/completions",
                                nlohmann::json{{"prompt", "Hello"}, {"stream_options", {{"include_usage", "yes"}}}});
  EXPECT_EQ(s2, 400);
  EXPECT_NE(e2["error"]["message"].get<std::string>().find("'stream_options.include_usage'"), std::string::npos)
      << e2.dump();
  // Asking for what the server does not do is refused, not ignored.
  for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"suffix", "end"}, {"best_of", 3}, {"presence_penalty", 0.5}, {"logit_bias", {{"50256", -100}}}}) {
    nlohmann::json bad = {{"prompt", "Hello"}, {"max_tokens", 1}};
    bad[field] = value;
    EXPECT_EQ(server_->post("/v1/completions", bad).first, 400) << field;
  }
}

TEST_F(ServerCompletions, StreamOptionsIncludeUsageEndsWithTheCounts) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  nlohmann::json request = {{"prompt", {"Hello", "To be or not to"}}, {"max_tokens", 4}, {"temperature", 0}};
  auto [status, whole] = server_->post("/v1/completions", request);
  ASSERT_EQ(status, 200) << whole.dump();
  request["stream"] = true;
  request["stream_options"] = {{"include_usage", true}};
  auto c = server_->client();
  auto res = c.Post("/v1/completions", request.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::vector<nlohmann::json> events;
  for (size_t at = 0; (at = res->body.find("data: ", at)) != std::string::npos;) {
    const size_t end = res->body.find("\n\n", at);
    events.push_back(nlohmann::json::parse(res->body.substr(at + 6, end - at - 6), nullptr, false));
    at = end;
  }
  ASSERT_GE(events.size(), 3u);
  EXPECT_TRUE(events.back().is_discarded());  // [DONE]
  const auto& usage = events[events.size() - 2];
  EXPECT_EQ(usage["choices"], nlohmann::json::array());
  const auto tok = Tokenizer::from_folder(fixtures_dir() / "gpt2-tiny");
  const size_t prompt_tokens = tok.encode("Hello", true).ids.size() + tok.encode("To be or not to", true).ids.size();
  EXPECT_EQ(usage["usage"]["prompt_tokens"], prompt_tokens);
  EXPECT_EQ(usage["usage"]["completion_tokens"], whole["usage"]["completion_tokens"]);
  EXPECT_EQ(usage["usage"]["total_tokens"], whole["usage"]["total_tokens"]);
}

nlohmann::json batching_of(const RunningServer& server) { return server.get("/health").second["batching"]; }

// Several prompts in one request: echo scores them in one forward pass, and their generations
// share forward passes (each step of each prompt alone would be one pass per call), with the
// texts each prompt gets alone.
TEST_F(ServerCompletions, PromptsOfARequestRunTogether) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::vector<std::string> prompts = {"Hello", "To be or not to", "The quick brown fox", "Once upon a time"};
  auto before = batching_of(*server_);
  auto [s0, echo] = server_->post("/v1/completions",
                                  nlohmann::json{{"prompt", prompts}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 1}});
  ASSERT_EQ(s0, 200) << echo.dump();
  auto after = batching_of(*server_);
  EXPECT_EQ(after["forwards"].get<int64_t>() - before["forwards"].get<int64_t>(), 1);

  before = after;
  auto [s1, together] = server_->post("/v1/completions",
                                      nlohmann::json{{"prompt", prompts}, {"max_tokens", 12}, {"temperature", 0}});
  ASSERT_EQ(s1, 200) << together.dump();
  after = batching_of(*server_);
  const int64_t forwards = after["forwards"].get<int64_t>() - before["forwards"].get<int64_t>();
  const int64_t calls = after["calls"].get<int64_t>() - before["calls"].get<int64_t>();
  EXPECT_LT(forwards, calls) << "no step of two prompts shared a forward pass";
  for (size_t p = 0; p < prompts.size(); ++p) {
    auto [s, alone] = server_->post("/v1/completions",
                                    nlohmann::json{{"prompt", prompts[p]}, {"max_tokens", 12}, {"temperature", 0}});
    ASSERT_EQ(s, 200);
    EXPECT_EQ(together["choices"][p]["text"], alone["choices"][0]["text"]) << prompts[p];
    EXPECT_EQ(together["choices"][p]["index"], p);
  }
}

// The server's forward passes once the request its only HTTP thread was answering has ended:
// /health waits for that thread. -1 when no answer came within 20 s.
int64_t forwards_after_the_request(const RunningServer& server) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(20, 0);
  auto res = c.Get("/health");
  if (!res || res->status != 200) return -1;
  return nlohmann::json::parse(res->body)["batching"]["forwards"].get<int64_t>();
}

ServerOptions one_http_thread() {
  ServerOptions o;
  o.http_threads = 1;
  return o;
}

// 64 prompts x 16 sampled choices x 120 tokens: thousands of forward passes, tens of seconds.
nlohmann::json long_request(bool stream) {
  return {{"prompt", std::vector<std::string>(64, "a")}, {"n", 16}, {"max_tokens", 120}, {"temperature", 1},
          {"seed", 1}, {"stream", stream}};
}
constexpr int64_t kLongRequestForwards = 120 * 64 * 16 / ServerOptions{}.max_batch;

TEST(ServerCompletionsClientLeaves, GenerationStopsWhenTheClientCloses) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer server("gpt2-tiny", one_http_thread());
  {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(1, 0);  // gives up and closes its connection while the server generates
    auto res = c.Post("/v1/completions", long_request(false).dump(), "application/json");
    ASSERT_FALSE(res) << "answered within a second: the request is too short to test this";
  }
  const int64_t forwards = forwards_after_the_request(server);
  EXPECT_NE(forwards, -1) << "still generating for a client that left";
  EXPECT_LT(forwards, kLongRequestForwards);
  if (forwards == -1) return;
  EXPECT_EQ(server.post("/v1/completions", nlohmann::json{{"prompt", "a"}, {"max_tokens", 2}}).first, 200);
}

TEST(ServerCompletionsClientLeaves, StreamedGenerationStopsWhenTheClientCloses) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer server("gpt2-tiny", one_http_thread());
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string body = long_request(true).dump();
  const std::string request = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(sock, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  // Read until the first event has come, then hang up.
  std::string received;
  char buffer[4096];
  timeval timeout{30, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  while (received.find("data: ") == std::string::npos) {
    const ssize_t n = ::recv(sock, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  ::close(sock);
  ASSERT_NE(received.find("data: "), std::string::npos) << received;
  const int64_t forwards = forwards_after_the_request(server);
  EXPECT_NE(forwards, -1) << "still generating for a client that left";
  EXPECT_LT(forwards, kLongRequestForwards);
}

}  // namespace
}  // namespace tokprob::testing
