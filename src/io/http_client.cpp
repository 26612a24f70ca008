#include "io/http_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "io/curl_library.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

constexpr size_t kMaxErrorBody = 4096;
// A stalled transfer (below 1 byte/s for this long) is abandoned rather than waited on forever.
constexpr long kStallSeconds = 60;
constexpr long kConnectTimeoutSeconds = 15;
constexpr long kHeadTimeoutSeconds = 60;
constexpr long kMaxRedirects = 10;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string human_mb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", bytes / 1e6);
  return buf;
}

// One transfer's state, shared with libcurl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  HttpResponse response;
  // download only
  int fd = -1;
  std::uint64_t offset = 0;
  bool body_started = false;
  bool write_failed = false;
  std::string write_error;
  // progress
  std::string label;
  std::uint64_t expected_size = 0;
  std::chrono::steady_clock::time_point start, last_draw;
  bool drew = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  // Each response of a redirect chain starts with a status line: keep only the last one's headers.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string::npos)
    t->response.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  long status = 0;
  curl_library().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->fd < 0 || (status != 200 && status != 206)) {
    const size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->response.body.size());
    t->response.body.append(data, std::min(room, bytes));
    return bytes;
  }
  if (!t->body_started) {
    t->body_started = true;
    std::uint64_t start = 0;
    if (status == 206) {
      // "bytes START-END/TOTAL": the server must continue exactly where the file stops.
      const std::string range = t->response.header("content-range");
      unsigned long long first = 0;
      if (std::sscanf(range.c_str(), "bytes %llu-", &first) != 1 || first != t->offset) {
        t->write_error = "server answered Range bytes=" + std::to_string(t->offset) + "- with '" + range + "'";
        return 0;
      }
      start = t->offset;
    } else if (::ftruncate(t->fd, 0) != 0) {
      t->write_error = "cannot truncate";
      return 0;
    }
    if (::lseek(t->fd, static_cast<off_t>(start), SEEK_SET) < 0) {
      t->write_error = "cannot seek";
      return 0;
    }
  }
  size_t done = 0;
  while (done < bytes) {
    const ssize_t w = ::write(t->fd, data + done, bytes - done);
    if (w <= 0) {
      t->write_error = "write failed (disk full?)";
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  return bytes;
}

void draw_progress(Transfer& t, std::uint64_t now_bytes, std::uint64_t total, bool final) {
  const auto now = std::chrono::steady_clock::now();
  if (!final && t.drew && now - t.last_draw < std::chrono::milliseconds(100)) return;
  t.last_draw = now;
  t.drew = true;
  const double seconds = std::chrono::duration<double>(now - t.start).count();
  const double rate = seconds > 0 ? static_cast<double>(now_bytes - std::min(now_bytes, t.offset)) / seconds : 0;
  constexpr int kWidth = 24;
  std::string line = "\r" + t.label + " ";
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(now_bytes) / static_cast<double>(total));
    const int filled = static_cast<int>(frac * kWidth);
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, ' ') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%% ", static_cast<int>(frac * 100));
    line += pct + human_mb(static_cast<double>(now_bytes)) + "/" + human_mb(static_cast<double>(total)) + " MB";
  } else {
    line += human_mb(static_cast<double>(now_bytes)) + " MB";
  }
  line += "  " + human_mb(rate) + " MB/s\x1b[K";
  if (final) line += "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->body_started) return 0;
  long status = 0;
  curl_library().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  const std::uint64_t base = status == 206 ? t->offset : 0;
  std::uint64_t total = t->expected_size;
  if (total == 0 && dltotal > 0) total = base + static_cast<std::uint64_t>(dltotal);
  draw_progress(*t, base + static_cast<std::uint64_t>(dlnow), total, false);
  return 0;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_case_name) const {
  const auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
  std::string token;

  // Options every request shares; the handle is reused so that keep-alive connections are too.
  curl_slist* prepare(Transfer& t, const std::string& url) {
    curl_library().easy_reset(curl);
    t.curl = curl;
    curl_library().easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_library().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_library().easy_setopt(curl, CURLOPT_USERAGENT, "tokprob/0.1.0");
    curl_library().easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
    curl_library().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_library().easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
    curl_library().easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_library().easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_library().easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_library().easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    // Sizes and hashes the hub reports are those of the bytes as stored: no content coding.
    curl_slist* headers = curl_library().slist_append(nullptr, "Accept-Encoding: identity");
    if (!token.empty()) headers = curl_library().slist_append(headers, ("Authorization: Bearer " + token).c_str());
    curl_library().easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    return headers;
  }

  void perform(Transfer& t, curl_slist* headers) {
    const CURLcode rc = curl_library().easy_perform(curl);
    curl_library().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
    curl_library().slist_free_all(headers);
    if (!t.write_error.empty()) {
      t.response.transport_error = t.write_error;
    } else if (rc != CURLE_OK) {
      t.response.transport_error = curl_library().easy_strerror(rc);
    }
  }
};

HttpClient::HttpClient(std::string bearer_token) : impl_(std::make_unique<Impl>()) {
  impl_->curl = curl_library().easy_init();
  if (!impl_->curl) fail("libcurl: cannot create a transfer handle");
  impl_->token = std::move(bearer_token);
}

HttpClient::~HttpClient() { curl_library().easy_cleanup(impl_->curl); }

HttpResponse HttpClient::head(const std::string& url) {
  Transfer t;
  curl_slist* headers = impl_->prepare(t, url);
  curl_library().easy_setopt(impl_->curl, CURLOPT_NOBODY, 1L);
  curl_library().easy_setopt(impl_->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_library().easy_setopt(impl_->curl, CURLOPT_TIMEOUT, kHeadTimeoutSeconds);
  impl_->perform(t, headers);
  return std::move(t.response);
}

HttpResponse HttpClient::download(const std::string& url, const std::filesystem::path& file, std::uint64_t offset,
                                  std::uint64_t expected_size, const std::string& progress_label) {
  Transfer t;
  t.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (t.fd < 0) fail("cannot write " + file.string());
  t.offset = offset;
  t.label = progress_label;
  t.expected_size = expected_size;
  t.start = std::chrono::steady_clock::now();
  curl_slist* headers = impl_->prepare(t, url);
  curl_library().easy_setopt(impl_->curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_library().easy_setopt(impl_->curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_library().easy_setopt(impl_->curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_library().easy_setopt(impl_->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // CURLOPT_RANGE rather than CURLOPT_RESUME_FROM: a server that ignores the range and sends
  // the whole file (200) is then accepted and the file rewritten.
  const std::string range = std::to_string(offset) + "-";
  if (offset > 0) curl_library().easy_setopt(impl_->curl, CURLOPT_RANGE, range.c_str());
  if (!progress_label.empty()) {
    curl_library().easy_setopt(impl_->curl, CURLOPT_NOPROGRESS, 0L);
    curl_library().easy_setopt(impl_->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_library().easy_setopt(impl_->curl, CURLOPT_XFERINFODATA, &t);
  }
  impl_->perform(t, headers);
  // An empty 200 body never reaches on_body: the file must still end up empty.
  if (t.response.transport_error.empty() && t.response.status == 200 && !t.body_started && ::ftruncate(t.fd, 0) != 0)
    t.response.transport_error = "cannot truncate";
  if (t.drew) {
    const off_t end = ::lseek(t.fd, 0, SEEK_END);
    draw_progress(t, end > 0 ? static_cast<std::uint64_t>(end) : 0, expected_size, true);
  }
  ::close(t.fd);
  return std::move(t.response);
}

}  // namespace tokprob
