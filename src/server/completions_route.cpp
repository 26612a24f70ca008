// POST /v1/completions in the shape of OpenAI's legacy completions API, so that evaluation
// harnesses written for it (echo + logprobs to score a text) work unchanged.
#include <atomic>
#include <chrono>
#include <cmath>

#include "format/token_json.hpp"
#include "generate/distribution.hpp"
#include "server/request_fields.hpp"
#include "server/routes.hpp"
#include "tasks/generate.hpp"
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
struct EchoToken {
  int32_t id = 0;
  std::optional<double> logprob;          // absent for a text's first token (nothing predicts it)
  std::vector<RankedToken> alternatives;  // the most likely tokens at its position
};

// The model's log-softmax of every prompt token given the ones before it, all prompts in one batch.
std::vector<std::vector<EchoToken>> score_prompts(const ServedModel& m, std::span<const std::vector<int32_t>> prompts,
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
  std::vector<std::vector<EchoToken>> out;
  size_t row = 0;
  for (const auto& ids : prompts) {
    std::vector<EchoToken> tokens;
    for (size_t i = 0; i < ids.size(); ++i) {
      EchoToken t{ids[i], std::nullopt, {}};
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
nlohmann::json logprobs_json(const Tokenizer& tok, std::span<const EchoToken> tokens,
                             std::span<const size_t> offsets) {
  nlohmann::json texts = nlohmann::json::array(), lps = nlohmann::json::array(), tops = nlohmann::json::array(),
                 offs = nlohmann::json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const EchoToken& t = tokens[i];
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

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

const char* openai_finish_reason(const std::string& reason) { return reason == "length" ? "length" : "stop"; }

// Logprobs of generated tokens, appended to `lp` ({"tokens", ...} as logprobs_json makes it);
// offsets start at `offset` and stop before `text_end` code points.
void append_generated(nlohmann::json& lp, std::span<const GeneratedToken> steps, size_t offset, size_t text_end,
                      bool with_top) {
  for (const auto& step : steps) {
    if (offset >= text_end) break;
    lp["tokens"].push_back(step.text);
    lp["token_logprobs"].push_back(step.logprob);
    lp["text_offset"].push_back(offset);
    if (with_top) {
      nlohmann::json top = nlohmann::json::object();
      for (const auto& a : step.top)
        if (!top.contains(a.text)) top[a.text] = a.logprob;
      if (!top.contains(step.text)) top[step.text] = step.logprob;
      lp["top_logprobs"].push_back(std::move(top));
    } else {
      lp["top_logprobs"].push_back(nullptr);
    }
    offset += code_points(step.text);
  }
}

GenerateOptions generate_options_for(const CompletionRequest& req, const ServedModel& model) {
  GenerateOptions g;
  g.max_new_tokens = req.max_tokens;
  // The completions API samples unless temperature is 0.
  g.do_sample = req.temperature > 0;
  g.temperature = req.temperature;
  g.top_p = req.top_p;
  if (req.seed) g.seed = static_cast<uint64_t>(*req.seed);
  g.num_return_sequences = req.temperature > 0 ? req.n : 1;  // greedy choices would all be equal
  g.logprobs = req.logprobs.value_or(0);
  g.stop = req.stop;
  if (!model.eos_token_ids.empty()) g.eos_token_ids = model.eos_token_ids;
  return g;
}

}  // namespace

void add_completions_route(JsonRoutes& routes, ServerContext ctx) {
  if (!ctx.model->causal_lm) return;
  routes["/v1/completions"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
    const CompletionRequest req = completion_request_from_json(body, ctx.options->limits);
    check_prompt_tokens(ctx, req.prompts, "prompt");
    const Tokenizer& tok = *ctx.model->tokenizer;

    auto encodings = std::make_shared<std::vector<Encoding>>();
    std::vector<std::vector<int32_t>> prompt_ids;
    for (const auto& p : req.prompts) {
      encodings->push_back(tok.encode(p, /*add_special_tokens=*/true));
      if (encodings->back().ids.empty()) fail("field 'prompt' has a text without tokens");
      const auto n = static_cast<int64_t>(encodings->back().ids.size());
      if (ctx.model->max_positions > 0 && n + req.max_tokens > ctx.model->max_positions)
        fail("field 'max_tokens': the prompt's " + std::to_string(n) + " tokens plus " + std::to_string(req.max_tokens) +
             " new ones pass the model's " + std::to_string(ctx.model->max_positions) + " positions");
      prompt_ids.push_back(encodings->back().ids);
    }
    // Echo: the prompt's own logprobs, all prompts in one batch.
    auto echoed = std::make_shared<std::vector<std::vector<EchoToken>>>();
    if (req.echo && req.logprobs) *echoed = score_prompts(*ctx.model, prompt_ids, *req.logprobs);
    const auto prompt_logprobs = [&tok, req, encodings, echoed](size_t p) {
      std::vector<size_t> offsets;
      for (const auto& [begin, end] : (*encodings)[p].offsets) offsets.push_back(begin);
      return logprobs_json(tok, (*echoed)[p], offsets);
    };
    const auto empty_logprobs = [] {
      return nlohmann::json{{"tokens", nlohmann::json::array()}, {"token_logprobs", nlohmann::json::array()},
                            {"top_logprobs", nlohmann::json::array()}, {"text_offset", nlohmann::json::array()}};
    };

    const int64_t created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json head = {{"id", completion_id()}, {"object", "text_completion"}, {"created", created},
                           {"model", ctx.model->name}};
    int64_t prompt_tokens = 0;
    for (const auto& ids : prompt_ids) prompt_tokens += static_cast<int64_t>(ids.size());

    if (!req.stream) {
      nlohmann::json choices = nlohmann::json::array();
      int64_t completion_tokens = 0;
      const GenerateOptions g = generate_options_for(req, *ctx.model);
      for (size_t p = 0; p < req.prompts.size(); ++p) {
        std::optional<GenerateResult> gen;
        if (req.max_tokens > 0) gen = generate_text(*ctx.model->causal_lm, tok, req.prompts[p], g);
        for (int64_t c = 0; c < req.n; ++c) {
          const GeneratedText* seq = gen ? &gen->sequences[std::min<size_t>(c, gen->sequences.size() - 1)] : nullptr;
          const std::string continuation = seq ? seq->text : "";
          const std::string prefix = req.echo ? req.prompts[p] : "";
          nlohmann::json choice = {{"text", prefix + continuation},
                                   {"index", static_cast<int64_t>(p) * req.n + c},
                                   {"logprobs", nullptr},
                                   {"finish_reason", seq ? openai_finish_reason(seq->finish_reason) : "length"}};
          if (req.logprobs) {
            nlohmann::json lp = req.echo ? prompt_logprobs(p) : empty_logprobs();
            const size_t base = code_points(prefix);
            if (seq) append_generated(lp, seq->steps, base, base + code_points(continuation), *req.logprobs > 0);
            choice["logprobs"] = std::move(lp);
          }
          if (seq) completion_tokens += static_cast<int64_t>(seq->new_ids.size());
          choices.push_back(std::move(choice));
        }
      }
      nlohmann::json reply = head;
      reply["choices"] = std::move(choices);
      reply["usage"] = {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
                        {"total_tokens", prompt_tokens + completion_tokens}};
      set_json(res, reply);
      return;
    }

    // Server-sent events, token by token as the model produces them, then [DONE]. The generate
    // task's deltas never show a stop string (tasks/generate.hpp).
    res.set_chunked_content_provider(
        "text/event-stream", [ctx, req, head, prompt_logprobs, empty_logprobs](size_t, httplib::DataSink& sink) {
          const auto send = [&](size_t index, const std::string& text, const nlohmann::json& logprobs,
                                const nlohmann::json& finish) {
            nlohmann::json event = head;
            event["choices"] = nlohmann::json::array(
                {{{"text", text}, {"index", index}, {"logprobs", logprobs}, {"finish_reason", finish}}});
            const std::string line = "data: " + dump_json_line(event) + "\n\n";
            sink.write(line.data(), line.size());
          };
          try {
            const GenerateOptions g = generate_options_for(req, *ctx.model);
            for (size_t p = 0; p < req.prompts.size(); ++p) {
              const size_t first = p * static_cast<size_t>(req.n);
              std::vector<size_t> offsets(static_cast<size_t>(req.n), 0);
              if (req.echo)
                for (int64_t c = 0; c < req.n; ++c) {
                  send(first + c, req.prompts[p], req.logprobs ? prompt_logprobs(p) : nlohmann::json(nullptr), nullptr);
                  offsets[c] = code_points(req.prompts[p]);
                }
              if (req.max_tokens == 0) {
                for (int64_t c = 0; c < req.n; ++c) send(first + c, "", nullptr, "length");
                continue;
              }
              const auto on_token = [&](size_t sequence, const GeneratedToken& token, std::string_view delta) {
                nlohmann::json lp = nullptr;
                if (req.logprobs) {
                  lp = empty_logprobs();
                  append_generated(lp, std::span<const GeneratedToken>(&token, 1), offsets[sequence], SIZE_MAX,
                                   *req.logprobs > 0);
                }
                offsets[sequence] += code_points(token.text);
                send(first + sequence, std::string(delta), lp, nullptr);
              };
              const GenerateResult gen = generate_text(*ctx.model->causal_lm, *ctx.model->tokenizer, req.prompts[p], g,
                                                       on_token);
              for (int64_t c = 0; c < req.n; ++c) {
                const auto& seq = gen.sequences[std::min<size_t>(c, gen.sequences.size() - 1)];
                if (c >= static_cast<int64_t>(gen.sequences.size()))  // greedy copies: the same text again
                  send(first + c, seq.text, nullptr, nullptr);
                send(first + c, "", nullptr, openai_finish_reason(seq.finish_reason));
              }
            }
          } catch (...) {
            const std::string line = "data: " + dump_json_line(to_json(api_error_from_current_exception())) + "\n\n";
            sink.write(line.data(), line.size());
          }
          const std::string done = "data: [DONE]\n\n";
          sink.write(done.data(), done.size());
          sink.done();
          return true;
        });
  };
}

}  // namespace tokprob
