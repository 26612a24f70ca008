// POST /v1/chat/completions in the shape of OpenAI's chat completions API: the messages are
// rendered by the model's chat template (as transformers' apply_chat_template renders them, with
// the generation prompt) and continued; logprobs come in the chat shape (choices[i].logprobs.content
// with token, logprob, bytes and top_logprobs).
#include <chrono>
#include <memory>
#include <mutex>

#include "format/token_json.hpp"
#include "server/openai_json.hpp"
#include "server/chat_messages.hpp"
#include "server/client_connection.hpp"
#include "server/request_fields.hpp"
#include "server/routes.hpp"
#include "tasks/generate.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct ChatRequest {
  std::string messages_json;
  std::string variables_json = "{}";  // chat_template_kwargs
  int64_t max_tokens = 16;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t n = 1;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  bool stream = false;
  bool logprobs = false;
  int64_t top_logprobs = 0;
  bool include_usage = false;
};

ChatRequest chat_request_from_json(const nlohmann::json& body, const ServerLimits& limits) {
  RequestFields f(body);
  ChatRequest r;
  r.messages_json = checked_messages(body);
  f.ignore("messages");
  if (const auto kwargs = f.value("chat_template_kwargs")) {  // vLLM's extension, e.g. {"enable_thinking": false}
    if (!kwargs->is_object()) usage_error("field 'chat_template_kwargs' must be an object");
    r.variables_json = kwargs->dump();
  }
  const auto max_completion = f.optional_integer("max_completion_tokens", 0, limits.max_tokens);
  r.max_tokens = f.integer("max_tokens", max_completion.value_or(r.max_tokens), 0, limits.max_tokens);
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
  r.logprobs = f.boolean("logprobs", r.logprobs);
  r.top_logprobs = f.integer("top_logprobs", 0, 0, std::min<int64_t>(20, limits.max_top_k));
  if (r.top_logprobs > 0 && !r.logprobs) usage_error("field 'top_logprobs' needs 'logprobs': true");
  for (const char* accepted : {"model", "user"}) f.ignore(accepted);
  for (const char* zero : {"presence_penalty", "frequency_penalty"})
    if (f.number(zero, 0, -2, 2) != 0) usage_error(std::string("field '") + zero + "' is not supported (must be 0)");
  if (f.has("logit_bias") && !(body["logit_bias"].is_object() && body["logit_bias"].empty()))
    usage_error("field 'logit_bias' is not supported (must be empty)");
  f.ignore("logit_bias");
  if (f.has("tools") && !body["tools"].is_null()) usage_error("field 'tools' is not supported");
  f.ignore("tools");
  if (const auto options = f.value("stream_options")) r.include_usage = stream_include_usage(*options);
  f.reject_unknown();
  return r;
}

ojson token_bytes(const std::string& text) {
  ojson bytes = ojson::array();
  for (unsigned char c : text) bytes.push_back(static_cast<int>(c));
  return bytes;
}

ojson logprob_entry(const GeneratedToken& t, bool with_top) {
  ojson entry = {{"token", t.text}, {"logprob", t.logprob}, {"bytes", token_bytes(t.text)}, {"top_logprobs", ojson::array()}};
  if (with_top)
    for (const auto& a : t.top)
      entry["top_logprobs"].push_back({{"token", a.text}, {"logprob", a.logprob}, {"bytes", token_bytes(a.text)}});
  return entry;
}

const char* finish_reason(const std::string& reason) { return reason == "length" ? "length" : "stop"; }

std::string chat_completion_id() {
  static std::atomic<uint64_t> counter{0};
  return "chatcmpl-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(counter++);
}

// The neutral option names of the generate task, as a chat request spells them.
std::string chat_field(const std::string& field) {
  if (field == "max_new_tokens") return "max_tokens";
  if (field == "num_return_sequences") return "n";
  if (field == "logprobs") return "top_logprobs";
  return field;
}

void answer_chat(const ServerContext& ctx, const nlohmann::json& body, httplib::Response& res) {
  const ChatRequest req = chat_request_from_json(body, ctx.options->limits);
  const std::string prompt = render_conversation(ctx, req.messages_json, {.variables_json = req.variables_json});
  const Tokenizer& tok = ctx.model->tokenizer();
  const auto prompt_tokens = static_cast<int64_t>(tok.encode(prompt, /*add_special_tokens=*/false).ids.size());
  const int64_t positions = ctx.model->model.max_positions();
  if (positions > 0 && prompt_tokens + req.max_tokens > positions)
    usage_error("field 'messages': the rendered conversation's " + std::to_string(prompt_tokens) + " tokens plus " +
                std::to_string(req.max_tokens) + " new ones pass the model's " + std::to_string(positions) +
                " positions");

  GenerateOptions g;
  g.add_special_tokens = false;
  g.max_new_tokens = req.max_tokens;
  g.do_sample = req.temperature > 0;
  g.temperature = req.temperature;
  g.top_p = req.top_p;
  if (req.seed) g.seed = static_cast<uint64_t>(*req.seed);
  g.num_return_sequences = req.temperature > 0 ? req.n : 1;  // greedy choices would all be equal
  g.logprobs = req.logprobs ? req.top_logprobs : 0;
  g.stop = req.stop;
  if (!ctx.model->model.eos_token_ids().empty()) g.eos_token_ids = ctx.model->model.eos_token_ids();
  validate(g);

  const int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const ojson head = {{"id", chat_completion_id()}, {"object", req.stream ? "chat.completion.chunk" : "chat.completion"},
                      {"created", created}, {"model", ctx.model->name}};
  const ClientConnection client = ClientConnection::of_current_request();
  const auto n = static_cast<size_t>(req.n);

  if (!req.stream) {
    GenerateResult gen;
    if (req.max_tokens > 0) gen = generate_text(*ctx.model->causal_lm, tok, prompt, g);
    ojson choices = ojson::array();
    int64_t completion_tokens = 0;
    for (size_t c = 0; c < n; ++c) {
      const GeneratedText* seq = gen.sequences.empty() ? nullptr : &gen.sequences[std::min(c, gen.sequences.size() - 1)];
      ojson choice = {{"index", c},
                      {"message", {{"role", "assistant"}, {"content", seq ? seq->text : ""}}},
                      {"logprobs", nullptr},
                      {"finish_reason", seq ? finish_reason(seq->finish_reason) : "length"}};
      if (req.logprobs) {
        ojson content = ojson::array();
        if (seq)
          for (const auto& step : seq->steps) content.push_back(logprob_entry(step, req.top_logprobs > 0));
        choice["logprobs"] = {{"content", std::move(content)}, {"refusal", nullptr}};
      }
      if (seq) completion_tokens += static_cast<int64_t>(seq->new_ids.size());
      choices.push_back(std::move(choice));
    }
    ojson reply = head;
    reply["choices"] = std::move(choices);
    reply["usage"] = usage_json(prompt_tokens, completion_tokens);
    request_tokens() = {prompt_tokens, completion_tokens};
    res.status = 200;
    res.set_content(dump_ordered(reply), "application/json");
    return;
  }

  // Server-sent events: the role first, then each token's text as it comes, then the finish.
  res.set_chunked_content_provider("text/event-stream", [ctx, req, head, g, client, prompt, prompt_tokens, n](
                                                            size_t, httplib::DataSink& sink) {
    bool write_failed = false;
    const auto write_line = [&](const std::string& line) {
      if (!write_failed && !sink.write(line.data(), line.size())) write_failed = true;
    };
    const auto send = [&](size_t index, const ojson& delta, const ojson& logprobs, const ojson& finish) {
      ojson event = head;
      event["choices"] =
          ojson::array({{{"index", index}, {"delta", delta}, {"logprobs", logprobs}, {"finish_reason", finish}}});
      write_line("data: " + dump_ordered(event) + "\n\n");
    };
    struct Cancelled {};
    try {
      for (size_t c = 0; c < n; ++c) send(c, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr);
      int64_t completion_tokens = 0;
      if (req.max_tokens == 0) {
        for (size_t c = 0; c < n; ++c) send(c, ojson::object(), nullptr, "length");
      } else {
        const auto on_token = [&](size_t sequence, const GeneratedToken& token, std::string_view delta) {
          if (write_failed || client.closed()) throw Cancelled{};
          ojson lp = nullptr;
          if (req.logprobs)
            lp = {{"content", ojson::array({logprob_entry(token, req.top_logprobs > 0)})}, {"refusal", nullptr}};
          send(sequence, {{"content", std::string(delta)}}, lp, nullptr);
        };
        const GenerateResult gen = generate_text(*ctx.model->causal_lm, ctx.model->tokenizer(), prompt, g, on_token);
        for (size_t c = 0; c < n; ++c) {
          const auto& seq = gen.sequences[std::min(c, gen.sequences.size() - 1)];
          if (c >= gen.sequences.size()) send(c, {{"content", seq.text}}, nullptr, nullptr);  // greedy copies
          send(c, ojson::object(), nullptr, finish_reason(seq.finish_reason));
          completion_tokens += static_cast<int64_t>(seq.new_ids.size());
        }
      }
      request_tokens() = {prompt_tokens, completion_tokens};
      if (req.include_usage) write_line(usage_event(head, prompt_tokens, completion_tokens));
    } catch (const Cancelled&) {
      return false;  // the client left: nothing more to send it
    } catch (...) {
      write_line("data: " + dump_json_line(to_json(api_error_from_current_exception(chat_field))) + "\n\n");
    }
    write_line("data: [DONE]\n\n");
    sink.done();
    return true;
  });
}

}  // namespace

void add_chat_completions_route(JsonRoutes& routes, ServerContext ctx) {
  if (!ctx.model->causal_lm) return;
  routes["/v1/chat/completions"] = [ctx](const nlohmann::json& body, httplib::Response& res) {
    try {
      answer_chat(ctx, body, res);
    } catch (const OptionError& e) {
      throw OptionError(chat_field(e.field()), e.requirement());
    }
  };
}

}  // namespace tokprob
