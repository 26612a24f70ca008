// `tokprob-serve`: the HTTP server for one model, until SIGINT or SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <thread>

#include "serve_settings.hpp"
#include "server/http_server.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

namespace {

int stop_pipe[2] = {-1, -1};

void on_stop_signal(int signal) {
  const int saved = errno;
  const char c = signal == SIGTERM ? 'T' : 's';
  [[maybe_unused]] auto n = ::write(stop_pipe[1], &c, 1);
  errno = saved;
}

}  // namespace

int run_serve(const ServeSettings& settings) {
  const auto dir = prepare(settings.common);
  const int64_t max_batch = settings.server.max_batch;
  const LoadOptions load = load_options(settings.common);
  // Listening starts before the model is loaded, so that a load balancer or Kubernetes tells a
  // replica that is starting (/health/live 200, /health/ready 503) from one that is dead.
  HttpServer server([dir, max_batch, load] { return load_served_model(dir, max_batch, load); }, settings.server);
  int port = 0;
  // Scripts wait for this line and then send requests: it keeps meaning "every endpoint answers".
  server.on_ready([&] {
    std::cout << "tokprob: serving " << server.model().name << " (" << server.model().kind() << ") on http://"
              << settings.server.host << ":" << port << "/" << std::endl;
  });
  port = server.bind();
  // Not on stdout, whose first line scripts read for the address, and with no URL in it, as some
  // read one from the merged output.
  std::cerr << "tokprob: loading " << served_model_name(dir) << "; listening on " << settings.server.host << ":"
            << port << " (/health/ready answers 503 until the model is loaded)" << std::endl;
  // BLAS threads exist before main(), so a signal cannot be kept to one thread by masking: the
  // handler only writes to a pipe, and a thread reading it stops the server outside the handler.
  if (::pipe(stop_pipe) != 0) fail("cannot create a pipe for signal handling");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::thread waiter([&] {
    char c = 0;
    while (::read(stop_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    server.drain();
    if (c == 'T' && settings.server.drain_seconds > 0 && server.loaded())  // SIGTERM: a load balancer's signal to go
      std::this_thread::sleep_for(std::chrono::duration<double>(settings.server.drain_seconds));
    server.stop();
  });
  // Stopped by a signal, listening failed, or loading failed (run() throws its error): the waiter
  // returns either way.
  try {
    server.run();
  } catch (...) {
    on_stop_signal(0);
    waiter.join();
    throw;
  }
  on_stop_signal(0);
  waiter.join();
  std::cout << "tokprob: stopped" << std::endl;
  return 0;
}

}  // namespace tokprob::cli
