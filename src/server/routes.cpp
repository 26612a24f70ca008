#include "server/routes.hpp"

#include "format/token_json.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

RequestTokens& request_tokens() {
  thread_local RequestTokens tokens;
  return tokens;
}

void set_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(dump_json_line(body), "application/json");
}

void set_error(httplib::Response& res, const ApiError& error) { set_json(res, to_json(error), error.status); }

void answer_json(const JsonHandler& handle, const std::string& body, httplib::Response& res) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    set_error(res, {400, "the request body is not valid JSON", "invalid_request_error", "invalid_json"});
    return;
  }
  try {
    handle(json, res);
  } catch (...) {
    set_error(res, api_error_from_current_exception());
  }
}

JsonRoutes json_routes(ServerContext ctx) {
  JsonRoutes routes;
  add_completions_route(routes, ctx);
  add_chat_completions_route(routes, ctx);
  add_native_routes(routes, ctx);
  add_tokenizer_routes(routes, ctx);
  return routes;
}

int64_t prompt_token_limit(const ServerContext& ctx) {
  int64_t limit = ctx.options->limits.max_prompt_tokens;
  const int64_t positions = ctx.model->model.max_positions();
  if (limit <= 0 || (positions > 0 && positions < limit)) limit = positions;
  return limit > 0 ? limit : kPromptTokensWithoutPositions;
}

void check_prompt_tokens(const ServerContext& ctx, std::span<const std::string> texts, const std::string& field) {
  const int64_t limit = prompt_token_limit(ctx);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto n = static_cast<int64_t>(ctx.model->tokenizer().encode(texts[i], /*add_special_tokens=*/true).ids.size());
    if (n > limit) {
      std::string message = "field '";
      message.append(field);
      if (texts.size() > 1) message.append("[").append(std::to_string(i)).append("]");
      message.append("' has ").append(std::to_string(n)).append(" tokens, more than the limit of ");
      fail(message.append(std::to_string(limit)));
    }
  }
}

}  // namespace tokprob
