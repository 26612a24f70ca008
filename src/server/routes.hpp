// The endpoints of the server, grouped by file, and what every JSON endpoint shares: parsing the
// body, turning exceptions into OpenAI-style error responses.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "server/metrics.hpp"
#include "server/served_model.hpp"
#include "server/server_options.hpp"

namespace tokprob {

// What the routes read of the running server: readiness and the /metrics figures.
struct ServerState {
  Metrics metrics;
  std::atomic<bool> ready{true};  // false while draining (SIGTERM): /health/ready answers 503
  // (before the model is loaded, the HTTP server answers the health routes itself)
  std::function<Gauges()> gauges;  // the live figures, set by the HTTP server
};

struct ServerContext {
  const ServedModel* model;
  const ServerOptions* options;
  ServerState* state = nullptr;  // null where no HTTP server runs (the http_body fuzz target)
};

// Tokens the current request read and generated, for /metrics: a request runs on one thread,
// from the pre-routing handler that resets these to the logger that reads them.
struct RequestTokens {
  int64_t in = 0, out = 0;
};
RequestTokens& request_tokens();

// A JSON endpoint: fills the response from the parsed body; what it throws becomes a JSON error.
using JsonHandler = std::function<void(const nlohmann::json& body, httplib::Response& res)>;
// The POST endpoints that take a JSON body, by path.
using JsonRoutes = std::map<std::string, JsonHandler>;

void add_info_routes(httplib::Server& server, ServerContext ctx);  // /, /health(/live|/ready), /metrics, /v1/models
void add_native_routes(JsonRoutes& routes, ServerContext ctx);     // /v1/next, ...
void add_completions_route(JsonRoutes& routes, ServerContext ctx); // /v1/completions
void add_tokenizer_routes(JsonRoutes& routes, ServerContext ctx);  // /tokenize, /detokenize (vLLM's shapes)
// GET /tokenizer_info's answer (vLLM's shape): the tokenizer's settings and chat template.
nlohmann::json tokenizer_info_json(const ServerContext& ctx);
void add_chat_completions_route(JsonRoutes& routes, ServerContext ctx);  // /v1/chat/completions

// The task endpoints `served` lacks answer 404 naming the model's kind and its endpoints; every
// task endpoint answers 405 to GET, PUT, PATCH and DELETE.
void add_refusal_routes(httplib::Server& server, const JsonRoutes& served, ServerContext ctx);

// Every JSON endpoint ctx.model answers (the paths of ServedModel::endpoints()).
JsonRoutes json_routes(ServerContext ctx);

void set_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
void set_error(httplib::Response& res, const ApiError& error);
// GET /metrics' answer: the Prometheus text of `state`.
void set_metrics(httplib::Response& res, const ServerState& state);

// The answer to a POST of `body` to the endpoint `handle`, without sockets: the body is parsed as
// JSON (400 "invalid_json" when it is not), then `handle` fills `res`; whatever it throws becomes
// a JSON error. The HTTP server calls this with the body it read; the http_body fuzz target calls
// it directly.
void answer_json(const JsonHandler& handle, const std::string& body, httplib::Response& res);

// Most tokens a text may have: the server's limit or the model's positions, whichever is less
// (kPromptTokensWithoutPositions when neither gives one).
int64_t prompt_token_limit(const ServerContext& ctx);

// Fails naming `field` when a text has more tokens than the server's limit or the model's positions
// (kPromptTokensWithoutPositions when neither gives one).
void check_prompt_tokens(const ServerContext& ctx, std::span<const std::string> texts, const std::string& field);

}  // namespace tokprob
