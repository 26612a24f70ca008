// Answers for requests that reach a known path the wrong way: a task endpoint of another model
// kind, or a method the path does not take. Without them httplib answers a bare 404, which reads
// as a typo in the path when the model or the method is what is wrong.
#include <array>
#include <string_view>

#include "server/routes.hpp"

namespace tokprob {

namespace {

struct TaskEndpoint {
  std::string_view path;
  std::string_view kind;  // the model kind that serves it
};

constexpr std::array<TaskEndpoint, 8> kTaskEndpoints{{{"/v1/completions", "causal-lm"},
                                                      {"/v1/chat/completions", "causal-lm"},
                                                      {"/v1/next", "causal-lm"},
                                                      {"/v1/generate", "causal-lm"},
                                                      {"/v1/score", "causal-lm"},
                                                      {"/v1/seq2seq", "seq2seq"},
                                                      {"/v1/fill-mask", "masked-lm"},
                                                      {"/v1/classify", "classifier"}}};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out.append(out.empty() ? "" : ", ").append(s);
  return out.empty() ? "none" : out;
}

}  // namespace

void add_refusal_routes(httplib::Server& server, const JsonRoutes& served, ServerContext ctx) {
  const std::vector<std::string> endpoints = ctx.model->endpoints();
  for (const TaskEndpoint& e : kTaskEndpoints) {
    const std::string path(e.path);
    if (!served.count(path)) {
      const ApiError error{404,
                           path + " needs a " + std::string(e.kind) + " model; this server's model " + ctx.model->name +
                               " is a " + ctx.model->kind() + " (" + ctx.model->model.model_type() +
                               ") and serves " + joined(endpoints),
                           "invalid_request_error", "wrong_model_kind"};
      const auto refuse = [error](const httplib::Request&, httplib::Response& res) { set_error(res, error); };
      server.Post(path, refuse);
      server.Post(path, [refuse](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
        // The body is read and dropped, so that a kept-alive connection can take the next request.
        const auto drop = [](const char*, size_t) { return true; };
        if (req.is_multipart_form_data())
          read([](const httplib::MultipartFormData&) { return true; }, drop);
        else
          read(drop);
        refuse(req, res);
      });
    }
    const ApiError wrong_method{405, path + " takes POST with a JSON body", "invalid_request_error",
                                "method_not_allowed"};
    const auto refuse_method = [wrong_method](const httplib::Request& req, httplib::Response& res) {
      ApiError e = wrong_method;
      e.message = req.method + " " + e.message;
      set_error(res, e);
      res.set_header("Allow", "POST");
    };
    server.Get(path, refuse_method);
    server.Put(path, refuse_method);
    server.Patch(path, refuse_method);
    server.Delete(path, refuse_method);
  }
}

}  // namespace tokprob
