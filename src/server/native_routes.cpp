// The native task endpoints: request fields are the task's options, the answer is
// {"results": [...]} with each result exactly as the command's --format json prints it.
#include "format/classify_output.hpp"
#include "format/fill_mask_output.hpp"
#include "format/next_output.hpp"
#include "server/routes.hpp"
#include "server/task_options_json.hpp"
#include "tasks/next.hpp"

namespace tokprob {

namespace {

nlohmann::json results_json(const auto& results) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : results) a.push_back(to_json(r));
  return {{"results", std::move(a)}};
}

}  // namespace

void add_native_routes(httplib::Server& server, ServerContext ctx) {
  if (ctx.model->causal_lm) {
    post_json(server, "/v1/next", [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const NextOptions options = next_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(next_token_distribution(*ctx.model->causal_lm, *ctx.model->tokenizer, texts, options)));
    });
  }
  if (ctx.model->kind == "masked-lm") {
    post_json(server, "/v1/fill-mask", [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const FillMaskOptions options = fill_mask_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(fill_mask(*ctx.model->encoder, *ctx.model->tokenizer, texts, options)));
    });
  }
  if (ctx.model->kind == "classifier") {
    post_json(server, "/v1/classify", [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const ClassifyOptions options = classify_options_from_json(fields);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(classify(*ctx.model->encoder, *ctx.model->tokenizer, texts, options)));
    });
  }
}

}  // namespace tokprob
