// tokprob serve: the command's options and their checks (run_serve() does the serving).
#include "serve_settings.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

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
    ServeSettings settings;
    settings.common.model = st->model;
    settings.common.threads = st->threads;
    settings.common.dtype = st->dtype;
    settings.common.tokenizer = st->tokenizer;
    settings.server = st->server;
    return run_serve(settings);
  };
}

}  // namespace tokprob::cli
