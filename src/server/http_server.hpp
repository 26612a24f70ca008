// `tokprob serve`: an HTTP server answering with one model (OpenAI-style completions, the native
// task endpoints, the web page).
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <thread>

#include "server/bounded_pool.hpp"
#include "server/routes.hpp"
#include "server/served_model.hpp"
#include "server/server_options.hpp"

namespace tokprob {

// Loads the model a server answers with; run on a thread of its own while the server listens.
using ModelLoader = std::function<ServedModel()>;

class HttpServer {
 public:
  // Ready at once.
  HttpServer(ServedModel model, ServerOptions options);
  // Loads with `load` once run() starts, listening meanwhile: /health/live answers 200,
  // /health/ready 503 ("loading"), /metrics its figures, and every other request 503 with
  // Retry-After, so that a load balancer tells a replica that starts from one that is dead.
  HttpServer(ModelLoader load, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Called once the model is loaded and every endpoint answers (on the loading thread; at the
  // start of run() for a server given its model). Set before run().
  void on_ready(std::function<void()> ready) { on_ready_ = std::move(ready); }

  // Binds host:port (port 0: one the OS picks) and returns the port; fails naming the address.
  int bind();
  // Serves until stop(); requests in flight finish first. When loading fails, the server stops
  // and run() throws what the loader threw.
  void run();
  // From any thread.
  void stop();
  // Not ready any more (/health/ready answers 503, /metrics says so); requests are still answered.
  void drain();

  bool loaded() const { return loaded_.load(std::memory_order_acquire); }
  // Only once loaded().
  const ServedModel& model() const { return *model_; }

 private:
  explicit HttpServer(ServerOptions options);
  // Registers the endpoints of model_: while the server runs, only before loaded_ is set, as no
  // request reaches httplib's routes until then.
  void install_model_routes();
  void load_in_background();
  void answer_while_loading(const httplib::Request& req, httplib::Response& res);

  ModelLoader load_;
  std::unique_ptr<ServedModel> model_;
  std::atomic<bool> loaded_{false};
  std::exception_ptr load_error_;  // written by the loading thread, read after it is joined
  std::thread loader_;
  std::atomic<bool> listening_done_{false}, stopping_{false};
  std::function<void()> on_ready_;
  ServerOptions options_;
  ServerState state_;
  std::atomic<BoundedPool*> pool_{nullptr};  // httplib's task queue while it runs
  std::atomic<int64_t> in_progress_{0};
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace tokprob
