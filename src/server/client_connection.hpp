// Whether the client of a request being answered is still there, so that long work for it
// (generation) can stop when it hangs up. httplib 0.11 gives a handler no access to its socket and
// its DataSink::is_writable() stays true after the peer closed, so the socket is found by its
// addresses: it belongs to the handler's thread until the handler returns.
#pragma once

#include <httplib.h>

namespace tokprob {

class ClientConnection {
 public:
  ClientConnection() = default;  // no socket: never reports a hang-up
  explicit ClientConnection(const httplib::Request& req);

  // The peer closed its end (or the connection failed). Valid only while the request is answered.
  bool closed() const;

  // The connection of the request this thread is answering: the HTTP server marks the request
  // around a JSON endpoint's handler (whose signature, shared with the in-process callers, has no
  // request); elsewhere, one that is never closed. The socket is looked up here, by the handlers
  // that need it, not for every request.
  static ClientConnection of_current_request();
  class Scope {
   public:
    explicit Scope(const httplib::Request& request);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const httplib::Request* previous_;
  };

 private:
  int fd_ = -1;
};

}  // namespace tokprob
