// What `tokprob serve` is configured with: where it listens and the limits that keep one client
// from taking the server's memory or time.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

inline constexpr int64_t kPromptTokensWithoutPositions = 2048;

struct ServerLimits {
  int64_t max_body_bytes = 1 << 20;  // request bodies larger than this get 413
  // Per text; 0: the model's positions, or kPromptTokensWithoutPositions for a model that has no
  // fixed limit (T5's relative positions: its attention memory grows with the square of the length).
  int64_t max_prompt_tokens = 0;
  int64_t max_tokens = 256;          // new tokens per completion choice
  int64_t max_texts = 64;            // texts (prompts) per request
  int64_t max_choices = 16;          // completions per prompt (`n`)
  int64_t max_top_k = 1000;          // tokens listed per distribution (top_k, logprobs)
  // Token positions one /v1/score request may run through the model: its windows overlap when the
  // stride is shorter than the window, so a stride of 1 costs about text length x window.
  int64_t max_score_positions = int64_t{1} << 18;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;               // 0: the OS picks a free port (bind() returns it)
  int http_threads = 16;         // connections served at once; more wait their turn
  int64_t max_batch = 32;        // sequences merged into one forward pass
  // Connections waiting for a request thread; past these, requests are answered 503 with
  // Retry-After at once (memory stays bounded whatever the number of clients).
  int64_t max_queue = 64;
  // On SIGTERM: seconds to keep answering (not ready: /health/ready 503) before refusing new
  // connections, for a load balancer to stop sending; then the requests in flight finish.
  double drain_seconds = 0;
  ServerLimits limits;
};

}  // namespace tokprob
