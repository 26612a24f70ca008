// `tokprob serve`: an HTTP server answering with one model (OpenAI-style completions, the native
// task endpoints, the web page).
#pragma once

#include <memory>

#include "server/served_model.hpp"
#include "server/server_options.hpp"

namespace httplib {
class Server;
}

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

  const ServedModel& model() const { return model_; }

 private:
  ServedModel model_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace tokprob
