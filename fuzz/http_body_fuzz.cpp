// Request bodies of every JSON endpoint of the server, answered in-process by answer_json (what
// the HTTP server runs on the body it read) with fixture models: gpt2-tiny for /v1/completions,
// /v1/next, /v1/generate and /v1/score, t5-tiny for /v1/seq2seq, bert-tiny-mlm for /v1/fill-mask,
// distilbert-tiny-sst2 for /v1/classify. The first byte picks the endpoint, the rest is the body.
// Every answer must be a 2xx with a JSON body (or a stream of JSON events) or a 4xx with a JSON
// error; a 5xx, an error message that is a JSON library's exception rather than our own check, or a
// malformed body aborts.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_target.hpp"
#include "server/routes.hpp"
#include "tokprob/error.hpp"

using namespace tokprob;
namespace fs = std::filesystem;

namespace {

// Small limits keep each input's work bounded (a fuzz input must finish in milliseconds, not the
// seconds a real client may ask for): the checks that enforce them are the same whatever the numbers.
ServerOptions fuzz_options() {
  ServerOptions o;
  o.max_batch = 8;
  o.limits.max_tokens = 8;
  o.limits.max_texts = 4;
  o.limits.max_choices = 4;
  o.limits.max_top_k = 20;
  // /v1/score runs every position of its windows through the LM head and a softmax over the
  // vocabulary: 3,800 positions took over 10 s of CPU under ASan (a campaign's timeout).
  o.limits.max_score_positions = 512;
  o.limits.max_prompt_tokens = 64;
  return o;
}

// Bodies past this are skipped rather than answered: every request runs the model, and a corpus
// that drifted towards 100 kB bodies (whole generations of long prompts, under ASan) fell to a few
// executions a second. The JSON reader's handling of large input is the config target's job.
constexpr size_t kMaxBodyBytes = 16384;

struct Endpoint {
  const char* path;
  const char* fixture;
};

// Fixed order: the seeds of make_seeds.py name endpoints by this index.
constexpr Endpoint kEndpoints[] = {
    {"/v1/completions", "gpt2-tiny"}, {"/v1/next", "gpt2-tiny"},        {"/v1/generate", "gpt2-tiny"},
    {"/v1/score", "gpt2-tiny"},       {"/v1/seq2seq", "t5-tiny"},        {"/v1/fill-mask", "bert-tiny-mlm"},
    {"/v1/classify", "distilbert-tiny-sst2"},
};
constexpr size_t kEndpointCount = sizeof(kEndpoints) / sizeof(kEndpoints[0]);

struct LoadedServer {
  ServerOptions options;
  ServedModel model;
  JsonRoutes routes;
};

// The fixture's server, loaded on first use; null when the fixture is missing.
const LoadedServer* server_for(const char* fixture) {
  static std::map<std::string, std::unique_ptr<LoadedServer>> servers;
  auto it = servers.find(fixture);
  if (it == servers.end()) {
    std::unique_ptr<LoadedServer> s;
    const fs::path dir = fuzz::fixtures_dir() / fixture;
    if (fs::exists(dir / "config.json")) {
      const ServerOptions options = fuzz_options();
      s = std::make_unique<LoadedServer>(LoadedServer{options, load_served_model(dir, options.max_batch), {}});
      s->routes = json_routes({&s->model, &s->options});
    }
    it = servers.emplace(fixture, std::move(s)).first;
  }
  return it->second.get();
}

[[noreturn]] void bad_answer(const Endpoint& e, const httplib::Response& res, const char* why) {
  std::fprintf(stderr, "http_body: %s %s: %s (HTTP %d): %.2000s\n", e.fixture, e.path, why, res.status, res.body.c_str());
  __builtin_trap();
}

// A JSON error object as api_error.cpp writes it, for a client's mistake.
bool is_client_error(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return false;
  const auto& e = j["error"];
  return e.contains("message") && e["message"].is_string() && !e["message"].get<std::string>().empty() &&
         e.value("type", "") == "invalid_request_error" &&
         e["message"].get<std::string>().rfind("bad JSON value", 0) != 0;
}

// A chunked answer (completions with "stream": true): the events the provider writes, each
// "data: <JSON>\n\n", the last "data: [DONE]\n\n".
void check_stream(const Endpoint& e, httplib::Response& res) {
  std::string out;
  bool done = false;
  httplib::DataSink sink;
  sink.write = [&](const char* d, size_t n) {
    out.append(d, n);
    return true;
  };
  sink.done = [&] { done = true; };
  sink.is_writable = [] { return true; };
  if (!res.content_provider_(0, 0, sink) || !done) bad_answer(e, res, "stream not finished");
  res.body = out;  // for bad_answer's message
  size_t pos = 0;
  bool last = false;
  while (pos < out.size()) {
    const size_t end = out.find("\n\n", pos);
    if (last || end == std::string::npos || out.compare(pos, 6, "data: ") != 0) bad_answer(e, res, "malformed event");
    const std::string data = out.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (data == "[DONE]") {
      last = true;
      continue;
    }
    const auto j = nlohmann::json::parse(data, nullptr, false);
    if (j.is_discarded()) bad_answer(e, res, "event is not JSON");
    if (j.contains("error") && !is_client_error(j)) bad_answer(e, res, "server error in the stream");
  }
  if (!last) bad_answer(e, res, "no [DONE] event");
}

}  // namespace

TOKPROB_FUZZ_TARGET(http_body) {
  if (size == 0 || size - 1 > kMaxBodyBytes) return;
  const Endpoint& e = kEndpoints[data[0] % kEndpointCount];
  const LoadedServer* server = server_for(e.fixture);
  if (!server) return;
  const auto route = server->routes.find(e.path);
  if (route == server->routes.end()) bad_answer(e, {}, "the fixture's server has no such endpoint");
  httplib::Response res;
  answer_json(route->second, std::string(fuzz::as_text(data + 1, size - 1)), res);
  if (res.status == -1) res.status = 200;  // what httplib sends for a handled request that set none
  // TOKPROB_FUZZ_PRINT=1: each answer's status and start, to see what seeds reach.
  static const bool print = std::getenv("TOKPROB_FUZZ_PRINT") != nullptr;
  if (print) std::fprintf(stderr, "%s %d %.160s\n", e.path, res.status, res.body.c_str());
  if (res.status >= 200 && res.status < 300) {
    if (res.is_chunked_content_provider_) {
      check_stream(e, res);
      return;
    }
    const auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) bad_answer(e, res, "answer is not a JSON object");
    return;
  }
  if (res.status < 400 || res.status >= 500) bad_answer(e, res, "status neither 2xx nor 4xx");
  if (!is_client_error(nlohmann::json::parse(res.body, nullptr, false))) bad_answer(e, res, "4xx without a JSON error");
}
