// POST /v1/completions in the shape of OpenAI's legacy completions API, so that evaluation
// harnesses written for it (echo + logprobs to score a text) work unchanged.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>

#include "format/token_json.hpp"
#include "generate/distribution.hpp"
#include "server/openai_json.hpp"
#include "server/client_connection.hpp"
#include "server/request_fields.hpp"
#include "server/routes.hpp"
#include "tasks/generate.hpp"
#include "tasks/score.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// A prompt as text, or as token ids that are used as they are (the OpenAI API's and vLLM's
// token-id prompts, which lm-evaluation-harness sends by default).
struct Prompt {
  std::string text;                         // as given, or the ids decoded
  std::optional<std::vector<int32_t>> ids;  // set when given as token ids
};

struct CompletionRequest {
  std::vector<Prompt> prompts;
  int64_t max_tokens = 16;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t n = 1;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  bool stream = false;
  std::optional<int64_t> logprobs;  // alternatives per token; absent: no logprobs object
  bool echo = false;
  bool include_usage = false;  // stream_options.include_usage: a last event with the token counts
};

constexpr size_t kMaxStopSequences = 16;

// "prompt": a text, a list of texts, a list of token ids, or a list of lists of token ids.
std::vector<Prompt> prompts_from_json(const nlohmann::json& value, int64_t vocab) {
  const auto is_id = [](const nlohmann::json& v) { return v.is_number(); };
  if (value.is_string()) return {{value.get<std::string>(), std::nullopt}};
  if (!value.is_array())
    usage_error("field 'prompt' must be a text, a list of texts, a list of token ids or a list of lists of token ids, got " +
                std::string(value.type_name()));
  if (value.empty()) usage_error("field 'prompt' is an empty list");
  if (is_id(value[0])) return {{"", token_ids_from_json(value, "prompt", vocab)}};
  std::vector<Prompt> prompts;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string element = "prompt[" + std::to_string(i) + "]";
    if (value[i].is_string()) prompts.push_back({value[i].get<std::string>(), std::nullopt});
    else if (value[i].is_array()) prompts.push_back({"", token_ids_from_json(value[i], element, vocab)});
    else usage_error("field '" + element + "' must be a text or a list of token ids, got " + std::string(value[i].type_name()));
  }
  return prompts;
}

CompletionRequest completion_request_from_json(const nlohmann::json& body, const ServerLimits& limits, int64_t vocab) {
  RequestFields f(body);
  CompletionRequest r;
  const auto prompt = f.value("prompt");
  if (!prompt) usage_error("field 'prompt' is missing");
  r.prompts = prompts_from_json(*prompt, vocab);
  if (static_cast<int64_t>(r.prompts.size()) > limits.max_texts)
    usage_error("field 'prompt' has " + std::to_string(r.prompts.size()) + " prompts, more than the server's limit of " +
                std::to_string(limits.max_texts));
  r.max_tokens = f.integer("max_tokens", r.max_tokens, 0, limits.max_tokens);
  r.temperature = f.number("temperature", r.temperature, 0.0, 100.0);
  r.top_p = f.number("top_p", r.top_p, 0.0, 1.0);
  if (f.has("top_p") && r.top_p <= 0) usage_error("field 'top_p' must be more than 0");
  r.n = f.integer("n", r.n, 1, limits.max_choices);
  r.stop = f.optional_strings("stop");
  // OpenAI takes 4; vLLM any number, and lm-evaluation-harness sends a task's stop strings and the
  // EOS text (6 for gsm8k-cot-llama). Each costs a search per new token: a bound keeps that small.
  if (r.stop.size() > kMaxStopSequences)
    usage_error("field 'stop' has " + std::to_string(r.stop.size()) + " sequences, at most " +
                std::to_string(kMaxStopSequences));
  for (const auto& s : r.stop)
    if (s.empty()) usage_error("field 'stop' has an empty sequence");
  r.seed = f.optional_integer("seed");
  r.stream = f.boolean("stream", r.stream);
  r.logprobs = f.optional_integer("logprobs", 0, limits.max_top_k);
  r.echo = f.boolean("echo", r.echo);
  // The other fields of OpenAI's completions API: accepted where they change nothing here,
  // refused where they would ask for what this server does not do.
  for (const char* accepted : {"model", "user"}) f.ignore(accepted);
  if (const auto best_of = f.optional_integer("best_of", 1, limits.max_choices); best_of && *best_of != 1 && *best_of != r.n)
    usage_error("field 'best_of' is not supported (must be 1 or equal 'n')");
  for (const char* zero : {"presence_penalty", "frequency_penalty"})
    if (f.number(zero, 0, -2, 2) != 0) usage_error(std::string("field '") + zero + "' is not supported (must be 0)");
  if (f.has("logit_bias") && !(body["logit_bias"].is_object() && body["logit_bias"].empty()))
    usage_error("field 'logit_bias' is not supported (must be empty)");
  f.ignore("logit_bias");
  if (const auto suffix = f.optional_string("suffix"); suffix && !suffix->empty())
    usage_error("field 'suffix' is not supported (must be null)");
  if (const auto options = f.value("stream_options")) r.include_usage = stream_include_usage(*options);
  f.reject_unknown();
  if (r.max_tokens == 0 && !r.echo) usage_error("field 'max_tokens' is 0 without 'echo': nothing to return");
  return r;
}

// A token's {text: logprob} alternatives, most likely first (the order the client reads them in;
// nlohmann::json would sort the keys). As OpenAI and vLLM do, the token itself is always listed (also
// for logprobs 0): up to logprobs + 1 entries; of two tokens that read alike, the likelier one.
ojson top_logprobs_object(std::span<const TokenScore> alternatives, const std::string& own_text, double own_logprob) {
  ojson top = ojson::object();
  for (const auto& a : alternatives)
    if (!top.contains(a.text)) top[a.text] = a.logprob;
  if (!top.contains(own_text)) top[own_text] = own_logprob;
  return top;
}

ojson empty_logprobs() {
  return {{"tokens", ojson::array()}, {"token_logprobs", ojson::array()}, {"top_logprobs", ojson::array()},
          {"text_offset", ojson::array()}};
}

// {"tokens", "token_logprobs", "top_logprobs", "text_offset"} of an echoed prompt; offsets count
// code points from the start of the choice's text.
ojson logprobs_json(const ScoreResult& scored, std::span<const size_t> offsets) {
  ojson lp = empty_logprobs();
  for (size_t i = 0; i < scored.tokens.size(); ++i) {
    const ScoredToken& t = scored.tokens[i];
    lp["tokens"].push_back(t.text);
    lp["text_offset"].push_back(offsets[i]);
    if (!t.logprob) {
      lp["token_logprobs"].push_back(nullptr);
      lp["top_logprobs"].push_back(nullptr);
      continue;
    }
    lp["token_logprobs"].push_back(*t.logprob);
    lp["top_logprobs"].push_back(top_logprobs_object(t.alternatives, t.text, *t.logprob));
  }
  return lp;
}

// Every prompt's tokens with their logprobs given the ones before, all prompts in one forward batch
// (the score task's); a prompt of one token (a BOS) has nothing to score.
std::vector<ScoreResult> score_prompts(const ServedModel& m, const ServerLimits& limits,
                                       const std::vector<Encoding>& encodings, int64_t top) {
  std::vector<std::vector<int32_t>> ids;
  for (const auto& e : encodings) ids.push_back(e.ids);
  ScoreOptions o;
  o.top_k = top;
  o.max_positions_run = limits.max_score_positions;
  return score_ids(*m.causal_lm, m.tokenizer(), ids, o);
}

// Thrown from a token callback to end a request's generations (its client left, or another of
// its prompts failed).
struct GenerationCancelled {};

using TokenCallback = std::function<void(size_t prompt, size_t sequence, const GeneratedToken&, std::string_view delta)>;
using PromptDone = std::function<void(size_t prompt, const GenerateResult&)>;

// Generates every prompt at once, each on its own thread, so that the batching model runs their
// steps as one forward batch; stops all of them as soon as `client_gone` says so (checked before
// each token is reported) or one fails, and rethrows the first failure.
std::vector<GenerateResult> generate_together(const ServedModel& m, const std::vector<Encoding>& prompts,
                                              const GenerateOptions& g, const std::function<bool()>& client_gone,
                                              const TokenCallback& on_token, const PromptDone& on_done) {
  std::vector<GenerateResult> results(prompts.size());
  std::vector<std::exception_ptr> errors(prompts.size());
  std::atomic<bool> stop{false};
  const auto one = [&](size_t p) {
    try {
      results[p] = generate_ids(*m.causal_lm, m.tokenizer(), prompts[p].ids, g,
                                [&](size_t sequence, const GeneratedToken& token, std::string_view delta) {
                                   if (stop.load() || client_gone()) throw GenerationCancelled{};
                                   if (on_token) on_token(p, sequence, token, delta);
                                 });
      if (on_done) on_done(p, results[p]);
    } catch (...) {
      errors[p] = std::current_exception();
      stop = true;
    }
  };
  if (prompts.size() == 1) {
    one(0);
  } else {
    std::vector<std::thread> threads;
    try {
      for (size_t p = 0; p < prompts.size(); ++p) threads.emplace_back(one, p);
    } catch (...) {
      stop = true;
      for (auto& t : threads) t.join();
      throw;
    }
    for (auto& t : threads) t.join();
  }
  // The failure that stopped the others, rather than their cancellations.
  std::exception_ptr first_cancel;
  for (const auto& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const GenerationCancelled&) {
      if (!first_cancel) first_cancel = e;
    } catch (...) {
      throw;
    }
  }
  if (first_cancel) std::rethrow_exception(first_cancel);
  return results;
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

// Logprobs of generated tokens, appended to `lp` (as empty_logprobs makes it); offsets start at
// `offset` and stop before `text_end` code points.
void append_generated(ojson& lp, std::span<const GeneratedToken> steps, size_t offset, size_t text_end) {
  for (const auto& step : steps) {
    if (offset >= text_end) break;
    lp["tokens"].push_back(step.text);
    lp["token_logprobs"].push_back(step.logprob);
    lp["text_offset"].push_back(offset);
    lp["top_logprobs"].push_back(top_logprobs_object(step.top, step.text, step.logprob));
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
  if (!model.model.eos_token_ids().empty()) g.eos_token_ids = model.model.eos_token_ids();
  return g;
}

// The neutral option names of the tasks the route runs, as its request spells them.
std::string completions_field(const std::string& field) {
  if (field == "max_new_tokens") return "max_tokens";
  if (field == "num_return_sequences") return "n";
  if (field == "top_k") return "logprobs";  // the score task's alternatives per token
  return field;
}

// Runs `work`, answering an OptionError of a task in the request's own field names.
template <class Work>
void with_request_field_names(Work&& work) {
  try {
    work();
  } catch (const OptionError& e) {
    throw OptionError(completions_field(e.field()), e.requirement());
  }
}

// Answers one request (see add_completions_route).
void answer_completions(const ServerContext& ctx, const nlohmann::json& body, httplib::Response& res) {
  const Tokenizer& tok = ctx.model->tokenizer();
  // Ids the tokenizer cannot read have no text to answer with.
  const int64_t vocab = std::min(ctx.model->causal_lm->info().vocab_size, static_cast<int64_t>(tok.vocab_size()));
  CompletionRequest req = completion_request_from_json(body, ctx.options->limits, vocab);
  const int64_t limit = prompt_token_limit(ctx);
  std::vector<Encoding> encodings;
  for (size_t p = 0; p < req.prompts.size(); ++p) {
    Prompt& prompt = req.prompts[p];
    const std::string field = req.prompts.size() > 1 ? "prompt[" + std::to_string(p) + "]" : "prompt";
    if (prompt.ids) {
      Encoding e;
      e.ids = *prompt.ids;
      size_t offset = 0;
      for (int32_t id : e.ids) {
        const size_t length = code_points(tok.token_text(id));
        e.offsets.emplace_back(offset, offset + length);
        offset += length;
      }
      prompt.text = tok.decode(e.ids, /*skip_special_tokens=*/false);
      encodings.push_back(std::move(e));
    } else {
      encodings.push_back(tok.encode(prompt.text, /*add_special_tokens=*/true));
      if (encodings.back().ids.empty()) fail("field '" + field + "' has a text without tokens");
    }
    const auto n = static_cast<int64_t>(encodings.back().ids.size());
    if (n > limit)
      fail("field '" + field + "' has " + std::to_string(n) + " tokens, more than the limit of " + std::to_string(limit));
    if (ctx.model->model.max_positions() > 0 && n + req.max_tokens > ctx.model->model.max_positions())
      fail("field 'max_tokens': the prompt's " + std::to_string(n) + " tokens plus " + std::to_string(req.max_tokens) +
           " new ones pass the model's " + std::to_string(ctx.model->model.max_positions()) + " positions");
  }
  // Echo: the prompts' own logprobs.
  auto echoed = std::make_shared<std::vector<ojson>>();
  if (req.echo && req.logprobs) {
    const auto scored = score_prompts(*ctx.model, ctx.options->limits, encodings, *req.logprobs);
    for (size_t p = 0; p < scored.size(); ++p) {
      std::vector<size_t> offsets;
      for (const auto& [begin, end] : encodings[p].offsets) offsets.push_back(begin);
      echoed->push_back(logprobs_json(scored[p], offsets));
    }
  }

  const int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const ojson head = {{"id", completion_id()}, {"object", "text_completion"}, {"created", created},
                      {"model", ctx.model->name}};
  int64_t prompt_tokens = 0;
  for (const auto& e : encodings) prompt_tokens += static_cast<int64_t>(e.ids.size());
  const GenerateOptions g = generate_options_for(req, *ctx.model);
  const ClientConnection client = ClientConnection::of_current_request();

  if (!req.stream) {
    std::vector<GenerateResult> generated;
    if (req.max_tokens > 0) {
      try {
        generated = generate_together(*ctx.model, encodings, g, [client] { return client.closed(); }, {}, {});
      } catch (const GenerationCancelled&) {
        set_error(res, {499, "the client closed the connection", "invalid_request_error", "client_closed"});
        return;
      }
    }
    ojson choices = ojson::array();
    int64_t completion_tokens = 0;
    for (size_t p = 0; p < req.prompts.size(); ++p) {
      const GenerateResult* gen = generated.empty() ? nullptr : &generated[p];
      for (int64_t c = 0; c < req.n; ++c) {
        const GeneratedText* seq = gen ? &gen->sequences[std::min<size_t>(c, gen->sequences.size() - 1)] : nullptr;
        const std::string continuation = seq ? seq->text : "";
        const std::string prefix = req.echo ? req.prompts[p].text : "";
        ojson choice = {{"text", prefix + continuation},
                        {"index", static_cast<int64_t>(p) * req.n + c},
                        {"logprobs", nullptr},
                        {"finish_reason", seq ? openai_finish_reason(seq->finish_reason) : "length"}};
        if (req.logprobs) {
          ojson lp = req.echo ? (*echoed)[p] : empty_logprobs();
          const size_t base = code_points(prefix);
          if (seq) append_generated(lp, seq->steps, base, base + code_points(continuation));
          choice["logprobs"] = std::move(lp);
        }
        if (seq) completion_tokens += static_cast<int64_t>(seq->new_ids.size());
        choices.push_back(std::move(choice));
      }
    }
    ojson reply = head;
    reply["choices"] = std::move(choices);
    reply["usage"] = usage_json(prompt_tokens, completion_tokens);
    request_tokens() = {prompt_tokens, completion_tokens};
    res.status = 200;
    res.set_content(dump_ordered(reply), "application/json");
    return;
  }

  // Server-sent events, token by token as the model produces them, then [DONE]. The generate
  // task's deltas never show a stop string (tokprob/generate.hpp).
  res.set_chunked_content_provider("text/event-stream", [ctx, req, encodings, head, echoed, g, client, prompt_tokens](
                                                            size_t, httplib::DataSink& sink) {
    std::mutex mutex;  // prompts generate on their own threads
    bool write_failed = false;
    const auto write_line = [&](const std::string& line) {
      std::lock_guard lock(mutex);
      if (!write_failed && !sink.write(line.data(), line.size())) write_failed = true;
    };
    const auto send = [&](size_t index, const std::string& text, const ojson& logprobs, const ojson& finish) {
      ojson event = head;
      event["choices"] = ojson::array({{{"text", text}, {"index", index}, {"logprobs", logprobs}, {"finish_reason", finish}}});
      write_line("data: " + dump_ordered(event) + "\n\n");
    };
    const auto n = static_cast<size_t>(req.n);
    try {
      if (req.echo)
        for (size_t p = 0; p < req.prompts.size(); ++p)
          for (size_t c = 0; c < n; ++c) send(p * n + c, req.prompts[p].text, req.logprobs ? (*echoed)[p] : ojson(nullptr), nullptr);
      int64_t completion_tokens = 0;
      if (req.max_tokens == 0) {
        for (size_t i = 0; i < req.prompts.size() * n; ++i) send(i, "", nullptr, "length");
      } else {
        // Offsets of each choice's next token, in code points of its text.
        std::vector<std::vector<size_t>> offsets;
        for (const auto& prompt : req.prompts) offsets.emplace_back(n, req.echo ? code_points(prompt.text) : 0);
        const auto on_token = [&](size_t p, size_t sequence, const GeneratedToken& token, std::string_view delta) {
          ojson lp = nullptr;
          if (req.logprobs) {
            lp = empty_logprobs();
            append_generated(lp, std::span<const GeneratedToken>(&token, 1), offsets[p][sequence], SIZE_MAX);
          }
          offsets[p][sequence] += code_points(token.text);
          send(p * n + sequence, std::string(delta), lp, nullptr);
        };
        const auto on_done = [&](size_t p, const GenerateResult& gen) {
          for (size_t c = 0; c < n; ++c) {
            const auto& seq = gen.sequences[std::min(c, gen.sequences.size() - 1)];
            if (c >= gen.sequences.size()) send(p * n + c, seq.text, nullptr, nullptr);  // greedy copies: the same text
            send(p * n + c, "", nullptr, openai_finish_reason(seq.finish_reason));
          }
        };
        const auto gone = [&] {
          {
            std::lock_guard lock(mutex);
            if (write_failed) return true;
          }
          return client.closed();
        };
        for (const auto& gen : generate_together(*ctx.model, encodings, g, gone, on_token, on_done))
          for (size_t c = 0; c < n; ++c)
            completion_tokens += static_cast<int64_t>(gen.sequences[std::min(c, gen.sequences.size() - 1)].new_ids.size());
      }
      request_tokens() = {prompt_tokens, completion_tokens};
      if (req.include_usage) write_line(usage_event(head, prompt_tokens, completion_tokens));
    } catch (const GenerationCancelled&) {
      return false;  // the client left: nothing more to send it
    } catch (...) {
      write_line("data: " + dump_json_line(to_json(api_error_from_current_exception(completions_field))) + "\n\n");
    }
    write_line("data: [DONE]\n\n");
    sink.done();
    return true;
  });
}

}  // namespace

void add_completions_route(JsonRoutes& routes, ServerContext ctx) {
  if (!ctx.model->causal_lm) return;
  routes["/v1/completions"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
    with_request_field_names([&] { answer_completions(ctx, body, res); });
  };
}

}  // namespace tokprob
