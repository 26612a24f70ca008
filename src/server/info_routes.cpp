// What the server is and holds: the page, /health and /v1/models (which also tell the page which
// model kind it talks to and so which panels to show).
#include "server/routes.hpp"
#include "server/web_page.hpp"

namespace tokprob {

namespace {

nlohmann::json model_json(const ServerContext& ctx) {
  const ServedModel& m = *ctx.model;
  // max_positions is null for a model without a fixed limit (T5's relative positions);
  // max_prompt_tokens is what this server takes per text either way.
  nlohmann::json j = {{"id", m.name},
                      {"object", "model"},
                      {"created", 0},
                      {"owned_by", "tokprob"},
                      {"kind", m.kind()},
                      {"model_type", m.model.model_type()},
                      {"max_positions", m.model.max_positions() > 0 ? nlohmann::json(m.model.max_positions()) : nlohmann::json(nullptr)},
                      {"max_prompt_tokens", prompt_token_limit(ctx)},
                      {"dtype", weight_format_name(m.model.weight_format())},
                      {"endpoints", m.endpoints()}};
  // The text a fill-mask request must contain ([MASK] for BERT, <mask> for RoBERTa).
  if (m.model.kind() == ModelKind::masked_lm)
    if (const auto mask = m.tokenizer().special_tokens().mask) j["mask_token"] = m.tokenizer().id_to_token(*mask);
  return j;
}

}  // namespace

void set_metrics(httplib::Response& res, const ServerState& state) {
  res.set_content(state.metrics.prometheus_text(state.gauges ? state.gauges() : Gauges{}),
                  "text/plain; version=0.0.4; charset=utf-8");
}

void add_info_routes(httplib::Server& server, ServerContext ctx) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(index_html()), "text/html; charset=utf-8");
  });
  server.Get("/health", [ctx](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"status", "ok"}, {"model", model_json(ctx)}};
    if (ctx.model->causal_lm) {
      const BatchStats s = ctx.model->causal_lm->stats();
      j["batching"] = {{"forwards", s.forwards}, {"calls", s.calls}, {"largest_batch", s.largest_batch},
                       {"max_batch", ctx.options->max_batch}};
    }
    set_json(res, j);
  });
  // Liveness: the process answers. Readiness: it takes work (a load balancer sends it requests).
  server.Get("/health/live", [](const httplib::Request&, httplib::Response& res) {
    set_json(res, {{"status", "alive"}});
  });
  server.Get("/health/ready", [ctx](const httplib::Request&, httplib::Response& res) {
    const bool ready = !ctx.state || ctx.state->ready;
    set_json(res, {{"status", ready ? "ready" : "draining"}}, ready ? 200 : 503);
  });
  server.Get("/metrics", [ctx](const httplib::Request&, httplib::Response& res) {
    if (!ctx.state) return set_error(res, {404, "no metrics here", "invalid_request_error", "not_found"});
    set_metrics(res, *ctx.state);
  });
  server.Get("/tokenizer_info", [ctx](const httplib::Request&, httplib::Response& res) {
    try {
      set_json(res, tokenizer_info_json(ctx));
    } catch (...) {
      set_error(res, api_error_from_current_exception());
    }
  });
  server.Get("/v1/models", [ctx](const httplib::Request&, httplib::Response& res) {
    set_json(res, {{"object", "list"}, {"data", nlohmann::json::array({model_json(ctx)})}});
  });
}

}  // namespace tokprob
