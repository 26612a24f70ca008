// The few HTTP requests the Hugging Face hub protocol needs, over libcurl: HEAD without following
// redirects to other hosts (their headers carry the file's metadata), and GET into a file with
// resume (HTTP Range) and an optional progress bar on stderr.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace tokprob {

struct HttpResponse {
  // Non-empty when no complete HTTP answer came: connection refused, DNS, TLS, timeout, a transfer
  // cut short. `status` and `headers` then hold whatever arrived, possibly nothing.
  std::string transport_error;
  long status = 0;
  std::map<std::string, std::string> headers;  // of the last response; names lower-case
  std::string body;                            // error responses only, cut at a few KB

  // The header's value, "" when absent.
  std::string header(const std::string& lower_case_name) const;
};

class HttpClient {
 public:
  // `bearer_token` (may be empty) is sent as `Authorization: Bearer` to the host of each request
  // URL, never to the host a redirect leads to (libcurl drops it there).
  explicit HttpClient(std::string bearer_token);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One HEAD request; redirects are returned, not followed.
  HttpResponse head(const std::string& url);

  // GET `url` (following redirects) into `file`, continuing from `offset` bytes already there
  // with a Range request: a 206 answer is appended, a 200 answer rewrites the file from the start.
  // Error answers (status >= 300) leave the file untouched. `progress_label` non-empty draws a
  // progress bar on stderr; `expected_size` (0: unknown) sizes it.
  HttpResponse download(const std::string& url, const std::filesystem::path& file, std::uint64_t offset,
                        std::uint64_t expected_size, const std::string& progress_label);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokprob
