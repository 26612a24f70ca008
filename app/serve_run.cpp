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
  HttpServer server(load_served_model(dir, settings.server.max_batch, load_options(settings.common)), settings.server);
  const int port = server.bind();
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
    if (c == 'T' && settings.server.drain_seconds > 0)  // SIGTERM: a load balancer's signal to go
      std::this_thread::sleep_for(std::chrono::duration<double>(settings.server.drain_seconds));
    server.stop();
  });
  std::cout << "tokprob: serving " << server.model().name << " (" << server.model().kind() << ") on http://"
            << settings.server.host << ":" << port << "/" << std::endl;
  server.run();
  // Stopped by a signal, or listening failed: the waiter returns either way.
  on_stop_signal(0);
  waiter.join();
  std::cout << "tokprob: stopped" << std::endl;
  return 0;
}

}  // namespace tokprob::cli
