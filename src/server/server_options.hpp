// What `tokprob serve` is configured with: where it listens and the limits that keep one client
// from taking the server's memory or time.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

struct ServerLimits {
  int64_t max_body_bytes = 1 << 20;  // request bodies larger than this get 413
  int64_t max_prompt_tokens = 0;     // per text; 0: the model's own limit (its positions)
  int64_t max_tokens = 256;          // new tokens per completion choice
  int64_t max_texts = 64;            // texts (prompts) per request
  int64_t max_choices = 16;          // completions per prompt (`n`)
  int64_t max_top_k = 1000;          // tokens listed per distribution (top_k, logprobs)
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;               // 0: the OS picks a free port (bind() returns it)
  int http_threads = 16;         // connections served at once; more wait their turn
  int64_t max_batch = 32;        // sequences merged into one forward pass
  ServerLimits limits;
};

}  // namespace tokprob
