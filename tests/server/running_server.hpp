// A server on 127.0.0.1 with a port the OS picks, running in this process for one test suite,
// and a client for it. Every client call has bounded timeouts.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "fixtures.hpp"
#include "server/http_server.hpp"

namespace tokprob::testing {

class RunningServer {
 public:
  RunningServer(const std::string& fixture, ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(load_served_model(fixtures_dir() / fixture, options.max_batch), options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  HttpServer& server() { return *server_; }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(60, 0);
    c.set_write_timeout(10, 0);
    return c;
  }

  // POSTs `body` as it is (it need not be valid JSON); status -1 when no answer came.
  std::pair<int, nlohmann::json> post(const std::string& path, const std::string& body) const {
    auto c = client();
    auto res = c.Post(path, body, "application/json");
    if (!res) return {-1, httplib::to_string(res.error())};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  std::pair<int, nlohmann::json> post(const std::string& path, const nlohmann::json& body) const {
    return post(path, body.dump());
  }
  std::pair<int, nlohmann::json> get(const std::string& path) const {
    auto c = client();
    auto res = c.Get(path);
    if (!res) return {-1, nullptr};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

 private:
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::thread thread_;
};

// A test suite whose tests share one server on gpt2-tiny, and the fixture's goldens; both stay
// null without the fixture (each test then skips through TOKPROB_REQUIRE_FIXTURE). Suites run one
// after another, so each derived suite sets them up and tears them down in turn.
class Gpt2ServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(fixtures_dir() / "gpt2-tiny")) return;
    server_ = new RunningServer("gpt2-tiny");
    golden_ = new nlohmann::json(load_json(fixtures_dir() / "gpt2-tiny" / "golden.json"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete golden_;
    server_ = nullptr;
    golden_ = nullptr;
  }
  static inline RunningServer* server_ = nullptr;
  static inline nlohmann::json* golden_ = nullptr;
};

}  // namespace tokprob::testing
