// POST /v1/completions in the shape of OpenAI's legacy completions API, so that evaluation
// harnesses written for it (echo + logprobs to score a text) work unchanged.
#include <atomic>
#include <chrono>
#include <cmath>

#include "format/token_json.hpp"
#include "generate/distribution.hpp"
#include "server/request_fields.hpp"
#include "server/routes.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct CompletionRequest {
  std::vector<std::string> prompts;
  int64_t max_tokens = 16;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t n = 1;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  bool stream = false;
  std::optional<int64_t> logprobs;  // alternatives per token; absent: no logprobs object
  bool echo = false;
};

CompletionRequest completion_request_from_json(const nlohmann::json& body, const ServerLimits& limits) {
  RequestFields f(body);
  CompletionRequest r;
  if (f.has("prompt") && body["prompt"].is_array() && !body["prompt"].empty() && !body["prompt"][0].is_string())
    usage_error("field 'prompt' must be a string or a list of strings (token-id prompts are not supported)");
  r.prompts = f.strings("prompt");
  if (static_cast<int64_t>(r.prompts.size()) > limits.max_texts)
    usage_error("field 'prompt' has " + std::to_string(r.prompts.size()) + " prompts, more than the server's limit of " +
                std::to_string(limits.max_texts));
  r.max_tokens = f.integer("max_tokens", r.max_tokens, 0, limits.max_tokens);
  r.temperature = f.number("temperature", r.temperature, 0.0, 100.0);
  r.top_p = f.number("top_p", r.top_p, 0.0, 1.0);
  if (f.has("top_p") && r.top_p <= 0) usage_error("field 'top_p' must be more than 0");
  r.n = f.integer("n", r.n, 1, limits.max_choices);
  r.stop = f.optional_strings("stop");
  if (r.stop.size() > 4) usage_error("field 'stop' has " + std::to_string(r.stop.size()) + " sequences, at most 4");
  for (const auto& s : r.stop)
    if (s.empty()) usage_error("field 'stop' has an empty sequence");
  r.seed = f.optional_integer("seed");
  r.stream = f.boolean("stream", r.stream);
  r.logprobs = f.optional_integer("logprobs", 0, limits.max_top_k);
  r.echo = f.boolean("echo", r.echo);
  for (const char* accepted : {"model", "user", "best_of"}) f.ignore(accepted);
  for (const char* zero : {"presence_penalty", "frequency_penalty"})
    if (f.number(zero, 0, -2, 2) != 0) usage_error(std::string("field '") + zero + "' is not supported (must be 0)");
  if (f.has("logit_bias") && !(body["logit_bias"].is_object() && body["logit_bias"].empty()))
    usage_error("field 'logit_bias' is not supported");
  f.ignore("logit_bias");
  if (f.optional_string("suffix")) usage_error("field 'suffix' is not supported");
  f.reject_unknown();
  if (r.max_tokens == 0 && !r.echo) usage_error("field 'max_tokens' is 0 without 'echo': nothing to return");
  return r;
}

// One token of a choice's text with the logprobs the API reports for it.
struct ScoredToken {
  int32_t id = 0;
  std::optional<double> logprob;          // absent for a text's first token (nothing predicts it)
  std::vector<RankedToken> alternatives;  // the most likely tokens at its position
};

// The model's log-softmax of every prompt token given the ones before it, all prompts in one batch.
std::vector<std::vector<ScoredToken>> score_prompts(const ServedModel& m, std::span<const std::vector<int32_t>> prompts,
                                                    int64_t top) {
  const CausalLM& model = *m.causal_lm;
  const int64_t V = model.info().vocab_size;
  std::vector<std::unique_ptr<DecoderState>> states;
  std::vector<DecodeChunk> chunks;
  for (const auto& ids : prompts) {
    if (ids.size() < 2) continue;
    states.push_back(model.new_state());
    DecodeChunk ch{states.back().get(), std::span<const int32_t>(ids).first(ids.size() - 1), {}};
    for (size_t i = 0; i + 1 < ids.size(); ++i) ch.logits_for.push_back(static_cast<int64_t>(i));
    chunks.push_back(std::move(ch));
  }
  const std::vector<float> logits = chunks.empty() ? std::vector<float>() : model.forward(chunks);
  std::vector<std::vector<ScoredToken>> out;
  size_t row = 0;
  for (const auto& ids : prompts) {
    std::vector<ScoredToken> tokens;
    for (size_t i = 0; i < ids.size(); ++i) {
      ScoredToken t{ids[i], std::nullopt, {}};
      if (i > 0) {
        Distribution dist(std::span<const float>(logits).subspan(row++ * V, V));
        t.logprob = dist.logprob(ids[i]);
        if (top > 0) t.alternatives = dist.top_k(top);
      }
      tokens.push_back(std::move(t));
    }
    out.push_back(std::move(tokens));
  }
  return out;
}

// {"tokens", "token_logprobs", "top_logprobs", "text_offset"}; offsets count code points from
// the start of the choice's text.
nlohmann::json logprobs_json(const Tokenizer& tok, std::span<const ScoredToken> tokens,
                             std::span<const size_t> offsets) {
  nlohmann::json texts = nlohmann::json::array(), lps = nlohmann::json::array(), tops = nlohmann::json::array(),
                 offs = nlohmann::json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const ScoredToken& t = tokens[i];
    texts.push_back(tok.token_text(t.id));
    offs.push_back(offsets[i]);
    if (!t.logprob) {
      lps.push_back(nullptr);
      tops.push_back(nullptr);
      continue;
    }
    lps.push_back(*t.logprob);
    nlohmann::json top = nlohmann::json::object();
    for (const auto& a : t.alternatives) {
      const std::string text = tok.token_text(a.id);
      if (!top.contains(text)) top[text] = a.logprob;  // two tokens reading alike: the likelier one
    }
    // As OpenAI does: the token itself is always listed, so up to logprobs + 1 entries.
    if (!t.alternatives.empty() && !top.contains(tok.token_text(t.id))) top[tok.token_text(t.id)] = *t.logprob;
    tops.push_back(std::move(top));
  }
  return {{"tokens", texts}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offs}};
}

std::string completion_id() {
  static std::atomic<uint64_t> counter{0};
  return "cmpl-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(counter++);
}

}  // namespace

void add_completions_route(httplib::Server& server, ServerContext ctx) {
  if (!ctx.model->causal_lm) return;
  post_json(server, "/v1/completions", [ctx](const nlohmann::json& body, httplib::Response& res) {
    const CompletionRequest req = completion_request_from_json(body, ctx.options->limits);
    if (req.max_tokens > 0)
      usage_error("field 'max_tokens' must be 0 (with 'echo') in this build: text generation is not wired yet");
    check_prompt_tokens(ctx, req.prompts, "prompt");
    const Tokenizer& tok = *ctx.model->tokenizer;

    std::vector<Encoding> encodings;
    std::vector<std::vector<int32_t>> prompt_ids;
    for (const auto& p : req.prompts) {
      encodings.push_back(tok.encode(p, /*add_special_tokens=*/true));
      if (encodings.back().ids.empty()) fail("field 'prompt' has a text without tokens");
      prompt_ids.push_back(encodings.back().ids);
    }
    const auto scored = score_prompts(*ctx.model, prompt_ids, req.logprobs.value_or(0));

    const int64_t created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json choices = nlohmann::json::array();
    int64_t prompt_tokens = 0;
    for (size_t p = 0; p < req.prompts.size(); ++p) {
      prompt_tokens += static_cast<int64_t>(prompt_ids[p].size());
      std::vector<size_t> offsets;
      for (const auto& [begin, end] : encodings[p].offsets) offsets.push_back(begin);
      for (int64_t c = 0; c < req.n; ++c) {
        nlohmann::json choice = {{"text", req.prompts[p]},
                                 {"index", static_cast<int64_t>(p) * req.n + c},
                                 {"logprobs", nullptr},
                                 {"finish_reason", "length"}};
        if (req.logprobs) choice["logprobs"] = logprobs_json(tok, scored[p], offsets);
        choices.push_back(std::move(choice));
      }
    }
    nlohmann::json reply = {{"id", completion_id()},
                            {"object", "text_completion"},
                            {"created", created},
                            {"model", ctx.model->name},
                            {"choices", choices},
                            {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", 0},
                                       {"total_tokens", prompt_tokens}}}};
    if (!req.stream) {
      set_json(res, reply);
      return;
    }
    // Server-sent events: one event per choice, then [DONE].
    auto events = std::make_shared<std::string>();
    for (const auto& choice : reply["choices"]) {
      nlohmann::json event = reply;
      event.erase("usage");
      event["choices"] = nlohmann::json::array({choice});
      *events += "data: " + dump_json_line(event) + "\n\n";
    }
    *events += "data: [DONE]\n\n";
    res.set_chunked_content_provider("text/event-stream", [events](size_t, httplib::DataSink& sink) {
      sink.write(events->data(), events->size());
      sink.done();
      return true;
    });
  });
}

}  // namespace tokprob
