#include "server/http_server.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <utility>

#include "server/client_connection.hpp"
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

// httplib's default socket options set SO_REUSEPORT on Linux, which lets a second server bind a
// port another one listens on, the kernel then splitting connections between them. SO_REUSEADDR
// alone still lets a restarted server bind while old connections sit in TIME_WAIT.
void exclusive_listen_options(int sock) {
  const int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// Why host:port cannot be listened on, as the OS says it ("address already in use"): httplib's
// bind reports only failure, so a probe socket with the same options repeats the attempt.
std::string listen_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return ::gai_strerror(rc);
  int err = 0;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int sock = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (sock < 0) {
      err = errno;
      continue;
    }
    exclusive_listen_options(sock);
    const bool ok = ::bind(sock, a->ai_addr, a->ai_addrlen) == 0 && ::listen(sock, 1) == 0;
    if (!ok) err = errno;
    ::close(sock);
    if (ok) {
      err = 0;
      break;
    }
  }
  ::freeaddrinfo(found);
  if (err == 0) return "the address was busy for a moment";
  std::string reason = std::strerror(err);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  return reason;
}

constexpr int kRetryWhileLoadingSeconds = 5;

std::chrono::steady_clock::time_point& request_started() {
  thread_local std::chrono::steady_clock::time_point start;
  return start;
}

bool& request_counted() {
  thread_local bool counted = false;
  return counted;
}

}  // namespace

HttpServer::HttpServer(ServedModel model, ServerOptions options) : HttpServer(std::move(options)) {
  model_ = std::make_unique<ServedModel>(std::move(model));
  install_model_routes();
  loaded_ = true;
}

HttpServer::HttpServer(ModelLoader load, ServerOptions options) : HttpServer(std::move(options)) {
  load_ = std::move(load);
}

HttpServer::HttpServer(ServerOptions options)
    : options_(std::move(options)), http_(std::make_unique<WideBacklogServer>()) {
  if (options_.http_threads < 1) usage_error("--http-threads must be at least 1");
  if (options_.max_queue < 0) usage_error("--max-queue must be 0 or more");
  const auto threads = static_cast<size_t>(options_.http_threads), bound = static_cast<size_t>(options_.max_queue);
  http_->set_socket_options(exclusive_listen_options);
  http_->new_task_queue = [this, threads, bound] {
    auto* pool = new BoundedPool(threads, bound);
    pool_ = pool;
    return pool;
  };
  state_.gauges = [this] {
    Gauges g;
    if (BoundedPool* pool = pool_) g.queue_depth = pool->waiting();
    g.requests_in_progress = in_progress_;
    g.ready = state_.ready && loaded();
    return g;
  };

  // Every request starts here, on the thread that answers it: past the queue bound, 503 at once.
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    request_started() = std::chrono::steady_clock::now();
    request_tokens() = {};
    request_counted() = true;
    ++in_progress_;
    if (BoundedPool::refusing()) {
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      set_error(res, {503, "the server is busy: more than " + std::to_string(options_.max_queue) +
                               " connections are waiting; retry after a second",
                      "server_error", "server_busy"});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (loaded()) return httplib::Server::HandlerResponse::Unhandled;
    answer_while_loading(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // ... and ends here, once answered (streamed ones too).
  http_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started()).count();
    const RequestTokens& t = request_tokens();
    state_.metrics.request_done(req.path, res.status, seconds, t.in, t.out);
    // httplib answers a request it cannot parse without routing it: that one was not counted in.
    if (request_counted()) --in_progress_;
    request_counted() = false;
  });
  http_->set_payload_max_length(static_cast<size_t>(options_.limits.max_body_bytes));
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  http_->set_keep_alive_timeout(2);  // an idle keep-alive connection holds a worker thread

  // httplib's own refusals (unknown path 404, body too large 413, ...) get a JSON body too.
  const int64_t max_body = options_.limits.max_body_bytes;
  http_->set_error_handler(httplib::Server::HandlerWithResponse([max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e{res.status, "", "invalid_request_error", ""};
    switch (res.status) {
      case 404:
        e.message = "no endpoint " + req.method + " " + req.path;
        e.code = "not_found";
        break;
      case 413:
        e.message = "the request body is larger than the server's limit of " + std::to_string(max_body) + " bytes";
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

void HttpServer::install_model_routes() {
  state_.metrics.set_endpoints(model_->endpoints());
  if (model_->causal_lm) model_->causal_lm->on_batch([this](int64_t sequences) { state_.metrics.batch_run(sequences); });
  const ServerContext ctx{model_.get(), &options_, &state_};
  add_info_routes(*http_, ctx);
  const JsonRoutes routes = json_routes(ctx);
  // Not a structured binding: clang 14 (the fuzz build's) cannot capture one in a lambda.
  for (const auto& route : routes) {
    const std::string& path = route.first;
    const auto& handle = route.second;
    // Read here rather than by httplib, which caps form-urlencoded bodies (what `curl -d` sends
    // without a Content-Type) at 8 KiB: every body is JSON up to --max-body, whatever its type.
    http_->Post(path, [handle](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
      if (req.is_multipart_form_data()) {
        read([](const httplib::MultipartFormData&) { return true; }, [](const char*, size_t) { return true; });
        set_error(res, {415, "a multipart/form-data body is not accepted: send the JSON object itself as the body",
                        "invalid_request_error", "unsupported_media_type"});
        return;
      }
      std::string body;
      if (!read([&body](const char* data, size_t size) {
            body.append(data, size);
            return true;
          }))
        return;  // httplib set the status (413 past --max-body); the error handler words it
      const ClientConnection::Scope scope(req);
      answer_json(handle, body, res);
    });
    // A request httplib does not expect a body with reaches the plain handlers.
    http_->Post(path, [handle](const httplib::Request& req, httplib::Response& res) {
      const ClientConnection::Scope scope(req);
      answer_json(handle, req.body, res);
    });
  }
  add_refusal_routes(*http_, routes, ctx);
}

void HttpServer::answer_while_loading(const httplib::Request& req, httplib::Response& res) {
  if (req.method == "GET" && req.path == "/health/live") return set_json(res, {{"status", "alive"}});
  if (req.method == "GET" && req.path == "/health/ready") return set_json(res, {{"status", "loading"}}, 503);
  if (req.method == "GET" && req.path == "/metrics") return set_metrics(res, state_);
  // A large model takes a while: a client asking again every second would only add load.
  res.set_header("Retry-After", std::to_string(kRetryWhileLoadingSeconds));
  res.set_header("Connection", "close");  // the body (if any) is left unread
  set_error(res, {503, "the model is loading; retry later (GET /health/ready answers 200 once it is loaded)",
                  "server_error", "model_loading"});
}

HttpServer::~HttpServer() {
  stop();
  if (loader_.joinable()) loader_.join();
}

int HttpServer::bind() {
  if (options_.port < 0 || options_.port > 65535) usage_error("--port must be in [0, 65535], got " + std::to_string(options_.port));
  if (options_.port == 0) {
    const int port = http_->bind_to_any_port(options_.host);
    if (port <= 0) fail("cannot listen on " + options_.host + " (any port)");
    options_.port = port;
  } else if (!http_->bind_to_port(options_.host, options_.port)) {
    fail("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
         listen_failure(options_.host, options_.port));
  }
  static_cast<WideBacklogServer&>(*http_).widen_backlog(1024);
  return options_.port;
}

void HttpServer::load_in_background() {
  try {
    model_ = std::make_unique<ServedModel>(load_());
    install_model_routes();
    loaded_.store(true, std::memory_order_release);
    if (on_ready_ && !stopping_) on_ready_();
    return;
  } catch (...) {
    load_error_ = std::current_exception();
  }
  // httplib's stop() does nothing until listening has started, which may not have happened yet.
  while (!listening_done_ && !http_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_->stop();
}

void HttpServer::run() {
  if (load_ && !loaded() && !loader_.joinable()) {
    loader_ = std::thread([this] { load_in_background(); });
  } else if (on_ready_) {
    on_ready_();
  }
  http_->listen_after_bind();
  listening_done_ = true;
  pool_ = nullptr;  // httplib deleted it
  // A load cannot be interrupted: stopped while loading, the server waits for it to end.
  if (loader_.joinable()) loader_.join();
  if (load_error_) std::rethrow_exception(std::exchange(load_error_, nullptr));
}

void HttpServer::drain() { state_.ready = false; }

void HttpServer::stop() {
  stopping_ = true;
  if (http_) http_->stop();
}

}  // namespace tokprob
