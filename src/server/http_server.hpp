// `tokprob serve`: an HTTP server answering with one model (OpenAI-style completions, the native
// task endpoints, the web page).
#pragma once

#include <atomic>
#include <memory>

#include "server/bounded_pool.hpp"
#include "server/routes.hpp"
#include "server/served_model.hpp"
#include "server/server_options.hpp"

namespace tokprob {

class HttpServer {
 public:
  HttpServer(ServedModel model, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0: one the OS picks) and returns the port; fails naming the address.
  int bind();
  // Serves until stop(); requests in flight finish first.
  void run();
  // From any thread.
  void stop();
  // Not ready any more (/health/ready answers 503, /metrics says so); requests are still answered.
  void drain();

  const ServedModel& model() const { return model_; }

 private:
  ServedModel model_;
  ServerOptions options_;
  ServerState state_;
  std::atomic<BoundedPool*> pool_{nullptr};  // httplib's task queue while it runs
  std::atomic<int64_t> in_progress_{0};
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace tokprob
