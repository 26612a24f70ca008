// The endpoints of the server, grouped by file, and what every JSON endpoint shares: parsing the
// body, turning exceptions into OpenAI-style error responses.
#pragma once

#include <httplib.h>

#include <functional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "server/served_model.hpp"
#include "server/server_options.hpp"

namespace tokprob {

struct ServerContext {
  const ServedModel* model;
  const ServerOptions* options;
};

void add_info_routes(httplib::Server& server, ServerContext ctx);         // /, /health, /v1/models
void add_native_routes(httplib::Server& server, ServerContext ctx);       // /v1/next, ...
void add_completions_route(httplib::Server& server, ServerContext ctx);   // /v1/completions

void set_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
void set_error(httplib::Response& res, const ApiError& error);

// Registers POST `path`: the body is parsed as JSON (400 "invalid_json" when it is not), then
// `handle` fills the response; whatever it throws becomes a JSON error.
using JsonHandler = std::function<void(const nlohmann::json& body, httplib::Response& res)>;
void post_json(httplib::Server& server, const std::string& path, JsonHandler handle);

// Fails naming `field` when a text has more tokens than the server's limit or the model's positions.
void check_prompt_tokens(const ServerContext& ctx, std::span<const std::string> texts, const std::string& field);

}  // namespace tokprob
