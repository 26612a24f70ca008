#include "server/client_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <charconv>
#include <filesystem>
#include <string>
#include <system_error>

namespace tokprob {

namespace {

thread_local const httplib::Request* t_current_request = nullptr;

// The numeric host and port of a socket address, as httplib writes them into the request.
bool address_of(const sockaddr_storage& a, std::string& host, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    if (!::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text))) return false;
    port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    if (!::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text))) return false;
    port = ntohs(v6.sin6_port);
  } else {
    return false;
  }
  host = text;
  return true;
}

bool is_connection_of(int fd, const httplib::Request& req) {
  sockaddr_storage local{}, peer{};
  socklen_t local_size = sizeof(local), peer_size = sizeof(peer);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return false;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) return false;
  std::string local_host, peer_host;
  int local_port = -1, peer_port = -1;
  return address_of(local, local_host, local_port) && address_of(peer, peer_host, peer_port) &&
         (req.local_port < 0 || local_port == req.local_port) && peer_port == req.remote_port &&
         peer_host == req.remote_addr;
}

}  // namespace

ClientConnection::ClientConnection(const httplib::Request& req) {
  if (req.remote_port < 0) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc() || fd < 0) continue;
    if (is_connection_of(fd, req)) {
      fd_ = fd;
      return;
    }
  }
}

ClientConnection ClientConnection::of_current_request() {
  return t_current_request ? ClientConnection(*t_current_request) : ClientConnection();
}

ClientConnection::Scope::Scope(const httplib::Request& request) : previous_(t_current_request) {
  t_current_request = &request;
}
ClientConnection::Scope::~Scope() { t_current_request = previous_; }

bool ClientConnection::closed() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace tokprob
