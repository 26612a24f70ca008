// A server that listens while its model loads: alive but not ready, every other request 503 with
// Retry-After, then everything answers once loaded; a load that fails stops the server with its
// error.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "running_server.hpp"
#include "tokprob/error.hpp"

namespace tokprob::testing {
namespace {

using namespace std::chrono_literals;

// A server on 127.0.0.1 serving on a thread of this test, whose loader runs `load` once release()
// is called.
struct LoadingServer {
  explicit LoadingServer(ModelLoader load) {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    server = std::make_unique<HttpServer>(
        [gate = gate_.get_future().share(), load = std::move(load)] {
          gate.wait();
          return load();
        },
        o);
    server->on_ready([this] { ready_calls++; });
    port = server->bind();
    running = std::async(std::launch::async, [this] { server->run(); });
  }
  // A test that ends early must not leave run() waiting for the load.
  ~LoadingServer() {
    release();
    if (running.valid()) {
      server->stop();
      running.wait();
    }
  }
  void release() {
    if (!released_) gate_.set_value();
    released_ = true;
  }
  // Stops the server (unless loading stopped it) and returns what run() threw, waiting at most 30 s.
  std::exception_ptr finish() {
    if (running.wait_for(30s) != std::future_status::ready) {
      server->stop();
      ADD_FAILURE() << "the server still runs 30 s on";
    }
    try {
      running.get();
    } catch (...) {
      return std::current_exception();
    }
    return nullptr;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(60, 0);
    return c;
  }

  std::unique_ptr<HttpServer> server;
  int port = 0;
  std::atomic<int> ready_calls{0};
  std::future<void> running;

 private:
  std::promise<void> gate_;
  bool released_ = false;
};

double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

TEST(ModelLoading, AliveButNotReadyUntilLoadedThenServes) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  LoadingServer s([] { return load_served_model(fixtures_dir() / "gpt2-tiny", 32); });
  auto c = s.client();
  const std::string next = nlohmann::json{{"text", "Hello"}, {"top_k", 2}}.dump();

  auto live = c.Get("/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto ready = c.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["status"], "loading") << ready->body;
  for (const std::string path : {"/v1/next", "/v1/models", "/"}) {
    auto res = path == "/v1/next" ? c.Post(path, next, "application/json") : c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 503) << path;
    EXPECT_FALSE(res->get_header_value("Retry-After").empty()) << path;
    EXPECT_GT(std::stoi(res->get_header_value("Retry-After")), 0) << path;
    const auto body = nlohmann::json::parse(res->body, nullptr, false);
    EXPECT_EQ(body["error"]["code"], "model_loading") << path << ": " << res->body;
    EXPECT_EQ(res->body.find('\n'), std::string::npos) << "one line: " << res->body;
  }
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(sample(metrics->body, "tokprob_ready"), 0) << metrics->body;
  EXPECT_FALSE(s.server->loaded());
  EXPECT_EQ(s.ready_calls.load(), 0);

  s.release();
  int status = 0;
  for (int i = 0; i < 600 && status != 200; ++i) {
    auto r = c.Get("/health/ready");
    status = r ? r->status : -1;
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(status, 200) << "not ready 30 s after the load was released";
  EXPECT_EQ(s.ready_calls.load(), 1);
  auto res = c.Post("/v1/next", next, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body)["results"][0]["top"].size(), 2u) << res->body;
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  EXPECT_EQ(nlohmann::json::parse(models->body)["data"][0]["id"], "gpt2-tiny");
  metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(sample(metrics->body, "tokprob_ready"), 1) << metrics->body;

  s.server->stop();
  EXPECT_FALSE(s.finish());
}

TEST(ModelLoading, AFailedLoadStopsTheServerWithItsError) {
  LoadingServer s([]() -> ServedModel { fail("cannot load /models/x: no weights"); });
  s.release();
  const std::exception_ptr error = s.finish();
  ASSERT_TRUE(error);
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot load /models/x: no weights");
  }
  EXPECT_EQ(s.ready_calls.load(), 0);
}

// Stopped (SIGTERM) while loading: run() returns once the load is over, without calling on_ready.
TEST(ModelLoading, StoppedWhileLoading) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  LoadingServer s([] { return load_served_model(fixtures_dir() / "gpt2-tiny", 32); });
  auto c = s.client();
  auto live = c.Get("/health/live");  // listening has started
  ASSERT_TRUE(live);
  s.server->stop();
  s.release();
  EXPECT_FALSE(s.finish());
  EXPECT_EQ(s.ready_calls.load(), 0);
}

}  // namespace
}  // namespace tokprob::testing
