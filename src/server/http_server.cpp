#include "server/http_server.hpp"

#include <sys/socket.h>

#include "server/routes.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// Debian's cpp-httplib is built with a listen backlog of 5: a burst of clients overflows it and
// some get their connection reset. Linux lets listen() be called again on a listening socket to
// change the backlog; the socket is a protected member, hence this subclass.
class WideBacklogServer : public httplib::Server {
 public:
  void widen_backlog(int backlog) { ::listen(svr_sock_, backlog); }
};

}  // namespace

HttpServer::HttpServer(ServedModel model, ServerOptions options)
    : model_(std::move(model)), options_(std::move(options)), http_(std::make_unique<WideBacklogServer>()) {
  if (options_.http_threads < 1) usage_error("--http-threads must be at least 1");
  const int threads = options_.http_threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http_->set_payload_max_length(static_cast<size_t>(options_.limits.max_body_bytes));
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  http_->set_keep_alive_timeout(2);  // an idle keep-alive connection holds a worker thread

  const ServerContext ctx{&model_, &options_};
  add_info_routes(*http_, ctx);
  for (auto& [path, handle] : json_routes(ctx))
    http_->Post(path, [handle = std::move(handle)](const httplib::Request& req, httplib::Response& res) {
      answer_json(handle, req.body, res);
    });

  // httplib's own refusals (unknown path 404, body too large 413, ...) get a JSON body too.
  http_->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e{res.status, "", "invalid_request_error", ""};
    switch (res.status) {
      case 404:
        e.message = "no endpoint " + req.method + " " + req.path;
        e.code = "not_found";
        break;
      case 413:
        e.message = "the request body is larger than the server's limit (--max-body)";
        e.code = "body_too_large";
        break;
      default:
        e.message = "the request was refused (HTTP " + std::to_string(res.status) + ")";
        e.code = "http_" + std::to_string(res.status);
        if (res.status >= 500) e.type = "server_error";
    }
    set_error(res, e);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (...) {
      set_error(res, api_error_from_current_exception());
    }
  });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind() {
  if (options_.port < 0 || options_.port > 65535) usage_error("--port must be in [0, 65535], got " + std::to_string(options_.port));
  if (options_.port == 0) {
    const int port = http_->bind_to_any_port(options_.host);
    if (port <= 0) fail("cannot listen on " + options_.host + " (any port)");
    options_.port = port;
  } else if (!http_->bind_to_port(options_.host, options_.port)) {
    fail("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
         " (address in use or not this machine's?)");
  }
  static_cast<WideBacklogServer&>(*http_).widen_backlog(1024);
  return options_.port;
}

void HttpServer::run() { http_->listen_after_bind(); }

void HttpServer::stop() {
  if (http_) http_->stop();
}

}  // namespace tokprob
