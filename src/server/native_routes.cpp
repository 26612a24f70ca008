// The native task endpoints: request fields are the task's options, the answer is
// {"results": [...]} with each result exactly as the command's --format json prints it.
#include "api/model_impl.hpp"
#include "format/classify_output.hpp"
#include "format/fill_mask_output.hpp"
#include "format/generate_output.hpp"
#include "format/next_output.hpp"
#include "format/score_output.hpp"
#include "format/seq2seq_output.hpp"
#include "server/routes.hpp"
#include "server/task_options_json.hpp"
#include "tasks/next.hpp"
#include "tokprob/classify.hpp"
#include "tokprob/fill_mask.hpp"
#include "tokprob/seq2seq.hpp"

namespace tokprob {

namespace {

// Counts the tokens a result read and generated for /metrics.
void tally(const auto& r) {
  RequestTokens& t = request_tokens();
  if constexpr (requires { r.input_ids; }) t.in += static_cast<int64_t>(r.input_ids.size());
  else t.in += static_cast<int64_t>(r.tokens.size());  // ScoreResult
  if constexpr (requires { r.sequences; })
    for (const auto& s : r.sequences) t.out += static_cast<int64_t>(s.new_ids.size());
  if constexpr (requires { r.output_ids; }) t.out += static_cast<int64_t>(r.output_ids.size());
}

nlohmann::json results_json(const auto& results) {
  for (const auto& r : results) tally(r);
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : results) a.push_back(to_json(r));
  return {{"results", std::move(a)}};
}

}  // namespace

void add_native_routes(JsonRoutes& routes, ServerContext ctx) {
  if (ctx.model->causal_lm) {
    routes["/v1/next"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const NextOptions options = next_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(next_token_distribution(*ctx.model->causal_lm, ctx.model->tokenizer(), texts, options)));
    };
    routes["/v1/generate"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const GenerateOptions options = generate_options_from_json(fields, ctx.options->limits, ctx.model->model.eos_token_ids());
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      std::vector<GenerateResult> results;
      for (const auto& t : texts) results.push_back(generate_text(*ctx.model->causal_lm, ctx.model->tokenizer(), t, options));
      set_json(res, results_json(results));
    };
    routes["/v1/score"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const ScoreOptions options = score_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      // Longer texts than the model's positions are scored in windows: max_score_positions bounds the work.
      set_json(res, results_json(score_texts(*ctx.model->causal_lm, ctx.model->tokenizer(), texts, options,
                                             options.words ? &ctx.model->model.impl().word_boundaries() : nullptr)));
    };
  }
  if (ctx.model->model.serves(Task::seq2seq)) {
    routes["/v1/seq2seq"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const Seq2SeqOptions options = seq2seq_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(seq2seq(ctx.model->model, texts, options)));
    };
  }
  if (ctx.model->model.serves(Task::fill_mask)) {
    routes["/v1/fill-mask"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const FillMaskOptions options = fill_mask_options_from_json(fields, ctx.options->limits);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(fill_mask(ctx.model->model, texts, options)));
    };
  }
  if (ctx.model->model.serves(Task::classify)) {
    routes["/v1/classify"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
      RequestFields fields(body);
      const auto texts = texts_from_json(fields, ctx.options->limits);
      const ClassifyOptions options = classify_options_from_json(fields);
      fields.ignore("model");
      fields.reject_unknown();
      check_prompt_tokens(ctx, texts, "text");
      set_json(res, results_json(classify(ctx.model->model, texts, options)));
    };
  }
}

}  // namespace tokprob
