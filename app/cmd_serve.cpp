// tokprob serve: an HTTP server for one model, until SIGINT or SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <iostream>
#include <chrono>
#include <thread>

#include "cli_common.hpp"
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

Runner add_serve_command(CLI::App& app) {
  struct State {
    std::string model;
    int threads = 0;
    std::string dtype = "fp32";
    TokenizerOptions tokenizer;
    ServerOptions server;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand("serve", "HTTP server: OpenAI-style completions with logprobs, task endpoints, a web page");
  sub->add_option("-m,--model", st->model, "Hugging Face model folder")->required();
  sub->add_option("--threads", st->threads, "Compute threads (0 = all cores)")->capture_default_str();
  add_dtype_option(*sub, st->dtype);
  add_tokenizer_options(*sub, st->tokenizer);
  sub->add_option("--host", st->server.host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", st->server.port, "Port (0: any free one, printed at start)")->capture_default_str();
  sub->add_option("--http-threads", st->server.http_threads, "Requests handled at once; more wait")
      ->capture_default_str();
  sub->add_option("--max-batch", st->server.max_batch, "Sequences merged into one forward pass")->capture_default_str();
  sub->add_option("--max-queue", st->server.max_queue,
                  "Connections waiting for a request thread; past these, requests get 503 with Retry-After")
      ->capture_default_str();
  sub->add_option("--drain-seconds", st->server.drain_seconds,
                  "On SIGTERM, seconds to keep answering while /health/ready says 503 (for a load balancer), "
                  "before refusing new connections; requests in flight always finish")
      ->capture_default_str();
  sub->add_option("--max-body", st->server.limits.max_body_bytes, "Largest request body in bytes")->capture_default_str();
  sub->add_option("--max-prompt-tokens", st->server.limits.max_prompt_tokens,
                  "Longest text in tokens (0: the model's positions)")
      ->capture_default_str();
  sub->add_option("--max-tokens", st->server.limits.max_tokens, "Most new tokens per completion")->capture_default_str();
  sub->add_option("--max-texts", st->server.limits.max_texts, "Most texts or prompts per request")->capture_default_str();
  sub->add_option("--max-score-positions", st->server.limits.max_score_positions,
                  "Most token positions one /v1/score request runs through the model (windows overlap)")
      ->capture_default_str();
  return [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    if (st->server.max_batch < 1) usage_error("--max-batch must be at least 1");
    if (st->server.limits.max_body_bytes < 1) usage_error("--max-body must be at least 1");
    if (st->server.limits.max_tokens < 0) usage_error("--max-tokens must be 0 or more");
    if (st->server.limits.max_texts < 1) usage_error("--max-texts must be at least 1");
    if (st->server.limits.max_score_positions < 1) usage_error("--max-score-positions must be at least 1");
    if (st->server.max_queue < 0) usage_error("--max-queue must be 0 or more");
    if (!(st->server.drain_seconds >= 0 && st->server.drain_seconds <= 3600))
      usage_error("--drain-seconds must be in [0, 3600]");
    CommonOptions common;
    common.model = st->model;
    common.threads = st->threads;
    common.dtype = st->dtype;
    common.tokenizer = st->tokenizer;
    const auto dir = prepare(common);

    HttpServer server(load_served_model(dir, st->server.max_batch, load_options(common)), st->server);
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
      if (c == 'T' && st->server.drain_seconds > 0)  // SIGTERM: a load balancer's signal to go
        std::this_thread::sleep_for(std::chrono::duration<double>(st->server.drain_seconds));
      server.stop();
    });
    std::cout << "tokprob: serving " << server.model().name << " (" << server.model().kind() << ") on http://"
              << st->server.host << ":" << port << "/" << std::endl;
    server.run();
    // Stopped by a signal, or listening failed: the waiter returns either way.
    on_stop_signal(0);
    waiter.join();
    std::cout << "tokprob: stopped" << std::endl;
    return 0;
  };
}

}  // namespace tokprob::cli
