// What running the server behind a load balancer needs: /metrics in the Prometheus format,
// liveness and readiness, 503 with Retry-After past the queue bound, and draining.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <sstream>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

// The value of the sample line that starts with `series` (name and labels), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

TEST(ServerOperations, MetricsCountRequestsTokensAndBatches) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer server("gpt2-tiny");
  ASSERT_EQ(server.post("/v1/next", nlohmann::json{{"text", "Hello world"}}).first, 200);
  ASSERT_EQ(server.post("/v1/next", nlohmann::json{{"text", "Hi"}, {"top_k", 0}}).first, 400);
  auto [status, gen] = server.post("/v1/generate", nlohmann::json{{"text", "Hello"}, {"max_new_tokens", 3}});
  ASSERT_EQ(status, 200) << gen.dump();
  ASSERT_EQ(server.get("/no/such/thing").first, 404);

  // A request is counted just after its answer is sent: wait until only this one is in progress.
  auto c = server.client();
  auto res = c.Get("/metrics");
  for (int i = 0; i < 100 && res && sample(res->body, "tokprob_requests_in_progress") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    res = c.Get("/metrics");
  }
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  const std::string& t = res->body;
  EXPECT_EQ(sample(t, "tokprob_requests_total{endpoint=\"/v1/next\",status=\"200\"}"), 1) << t;
  EXPECT_EQ(sample(t, "tokprob_requests_total{endpoint=\"/v1/next\",status=\"400\"}"), 1) << t;
  EXPECT_EQ(sample(t, "tokprob_requests_total{endpoint=\"/v1/generate\",status=\"200\"}"), 1) << t;
  EXPECT_EQ(sample(t, "tokprob_requests_total{endpoint=\"other\",status=\"404\"}"), 1) << t;
  // "Hello world" is 2 GPT-2 tokens, "Hello" 1; generate made 3.
  EXPECT_EQ(sample(t, "tokprob_prompt_tokens_total"), 3) << t;
  EXPECT_EQ(sample(t, "tokprob_generated_tokens_total"), gen["results"][0]["sequences"][0]["new_ids"].size()) << t;
  EXPECT_GE(sample(t, "tokprob_batch_size_count"), 4) << t;  // next's pass, generate's prompt and steps
  EXPECT_EQ(sample(t, "tokprob_request_duration_seconds_count{endpoint=\"/v1/next\"}"), 2) << t;
  EXPECT_EQ(sample(t, "tokprob_requests_in_progress"), 1) << t;  // this one
  EXPECT_EQ(sample(t, "tokprob_queue_depth"), 0) << t;
  EXPECT_EQ(sample(t, "tokprob_ready"), 1) << t;
}

TEST(ServerOperations, LivenessAndReadinessAndDraining) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  RunningServer server("gpt2-tiny");
  EXPECT_EQ(server.get("/health/live").first, 200);
  EXPECT_EQ(server.get("/health/ready").first, 200);
  server.server().drain();
  auto [status, body] = server.get("/health/ready");
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body["status"], "draining");
  EXPECT_EQ(server.get("/health/live").first, 200);
  // Still answering while the load balancer stops sending.
  EXPECT_EQ(server.post("/v1/next", nlohmann::json{{"text", "Hello"}}).first, 200);
}

TEST(ServerOperations, PastTheQueueBoundRequestsAre503WithRetryAfter) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  ServerOptions o;
  o.http_threads = 1;
  o.max_queue = 0;  // nothing waits: a second connection while one is served is refused
  RunningServer server("gpt2-tiny", o);
  std::atomic<bool> done{false};
  std::thread busy([&] {
    // Long enough to be under way when the second request comes.
    server.post("/v1/generate", nlohmann::json{{"text", "Hello"}, {"max_new_tokens", 100}});
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto c = server.client();
  auto res = c.Post("/v1/next", nlohmann::json{{"text", "Hello"}}.dump(), "application/json");
  busy.join();
  ASSERT_TRUE(res);
  if (!done) GTEST_SKIP() << "the first request ended before the second came (a very fast machine)";
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  const auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["error"]["code"], "server_busy") << body;
  // Once the first connection is closed (its thread sees it a moment later), the request is served.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = server.post("/v1/next", nlohmann::json{{"text", "Hello"}}).first;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace tokprob::testing
