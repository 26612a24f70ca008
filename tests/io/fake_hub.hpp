// A stand-in for the Hugging Face hub on 127.0.0.1 (port chosen by the OS) that speaks its
// resolve protocol over fixture folders:
//   HEAD/GET /{repo}/resolve/{revision}/{file}
//     small files: 200, ETag, X-Repo-Commit
//     *.safetensors (LFS): 302 to /cdn/..., X-Linked-Etag (sha256), X-Linked-Size, X-Repo-Commit
//     404 + X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound (with X-Repo-Commit)
//     401 + X-Error-Code GatedRepo when a token is required and not given
//   GET /cdn/{repo}/{file}: the bytes, with Range support (httplib applies ranges)
// Tests can cut a transfer short once, corrupt a file's bytes, rename a repo (relative 307),
// answer every request with an error status.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/sha256.hpp"

namespace tokprob::testing {

class FakeHub {
 public:
  struct Request {
    std::string method, path, range, authorization;
  };

  FakeHub() {
    server_.set_keep_alive_timeout(1);
    server_.set_tcp_nodelay(true);  // else each response waits ~40 ms for a delayed ACK
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(5, 0);
    server_.Get(R"(/cdn/(.+))", [this](const httplib::Request& req, httplib::Response& res) { cdn(req, res); });
    server_.Get(R"(/(.+)/resolve/([^/]+)/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) { resolve(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() only stops a server whose accept loop has started: wait for it (bounded).
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~FakeHub() { stop(); }
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Serves `folder` as `repo` at the commit derived from the repo name; branch "main" points at it.
  std::string add_repo(const std::string& repo, const std::filesystem::path& folder) {
    std::lock_guard<std::mutex> g(mu_);
    const std::string commit = sha256_hex("commit of " + repo).substr(0, 40);
    repos_[repo] = {folder, commit};
    return commit;
  }
  // Requests for `old_name` answer with a relative redirect to `new_name`, as for a renamed repo.
  void rename_repo(const std::string& old_name, const std::string& new_name) {
    std::lock_guard<std::mutex> g(mu_);
    renamed_[old_name] = new_name;
  }
  // The next transfer of `file` ends (connection closed) after `bytes` bytes of the file.
  void cut_once(const std::string& file, size_t bytes) {
    std::lock_guard<std::mutex> g(mu_);
    cut_file_ = file;
    cut_at_ = bytes;
  }
  // Transfers of `file` send its bytes with one byte changed ("" to stop).
  void corrupt(const std::string& file) {
    std::lock_guard<std::mutex> g(mu_);
    corrupt_file_ = file;
  }
  // Every resolve request answers `status` (0 to stop).
  void fail_with(int status) {
    std::lock_guard<std::mutex> g(mu_);
    fail_status_ = status;
  }
  void require_token(const std::string& token) {
    std::lock_guard<std::mutex> g(mu_);
    token_ = token;
  }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> g(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> g(mu_);
    requests_.clear();
  }

  static std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  struct Repo {
    std::filesystem::path folder;
    std::string commit;
  };

  static bool is_lfs(const std::string& file) {
    return file.size() > 12 && file.compare(file.size() - 12, 12, ".safetensors") == 0;
  }

  void log(const httplib::Request& req) {
    std::lock_guard<std::mutex> g(mu_);
    requests_.push_back({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Authorization")});
  }

  static void error(httplib::Response& res, int status, const std::string& code, const std::string& commit = "") {
    res.status = status;
    res.set_header("X-Error-Code", code);
    if (!commit.empty()) res.set_header("X-Repo-Commit", commit);
    res.set_content(code, "text/plain");
  }

  void resolve(const httplib::Request& req, httplib::Response& res) {
    log(req);
    std::lock_guard<std::mutex> g(mu_);
    const std::string repo_name = req.matches[1], revision = req.matches[2], file = req.matches[3];
    if (const auto r = renamed_.find(repo_name); r != renamed_.end()) {
      res.status = 307;
      res.set_header("Location", "/" + r->second + "/resolve/" + revision + "/" + file);
      return;
    }
    if (fail_status_ != 0) {
      res.status = fail_status_;
      return;
    }
    const auto it = repos_.find(repo_name);
    if (!token_.empty() && req.get_header_value("Authorization") != "Bearer " + token_)
      return error(res, 401, "GatedRepo");
    if (it == repos_.end()) return error(res, 404, "RepoNotFound");
    const Repo& repo = it->second;
    if (revision != "main" && revision != repo.commit) return error(res, 404, "RevisionNotFound");
    const std::filesystem::path path = repo.folder / file;
    if (file.find("..") != std::string::npos || !std::filesystem::is_regular_file(path))
      return error(res, 404, "EntryNotFound", repo.commit);
    const std::string bytes = read_bytes(path);
    res.set_header("X-Repo-Commit", repo.commit);
    if (is_lfs(file)) {
      res.status = 302;
      res.set_header("X-Linked-Etag", "\"" + sha256_hex(bytes) + "\"");
      res.set_header("X-Linked-Size", std::to_string(bytes.size()));
      res.set_header("Location", endpoint() + "/cdn/" + repo_name + "/" + file);
      return;
    }
    // The real hub sends the git blob sha1 here; any id unique to the content serves the client.
    res.set_header("ETag", "\"" + sha256_hex(bytes).substr(0, 40) + "\"");
    serve(file, bytes, res);
  }

  void cdn(const httplib::Request& req, httplib::Response& res) {
    log(req);
    std::lock_guard<std::mutex> g(mu_);
    const std::string rest = req.matches[1];
    for (const auto& [name, repo] : repos_) {
      if (rest.rfind(name + "/", 0) != 0) continue;
      const std::string file = rest.substr(name.size() + 1);
      const std::filesystem::path path = repo.folder / file;
      if (file.find("..") != std::string::npos || !std::filesystem::is_regular_file(path)) break;
      serve(file, read_bytes(path), res);
      return;
    }
    res.status = 404;
  }

  // Called with mu_ held.
  void serve(const std::string& file, std::string bytes, httplib::Response& res) {
    if (file == corrupt_file_ && !bytes.empty()) bytes[bytes.size() / 2] ^= 0x5a;
    size_t limit = bytes.size();
    if (file == cut_file_) {
      limit = cut_at_;
      cut_file_.clear();
    }
    auto data = std::make_shared<std::string>(std::move(bytes));
    res.set_content_provider(data->size(), "application/octet-stream",
                             [data, limit](size_t offset, size_t length, httplib::DataSink& sink) {
                               if (offset >= limit) return false;  // closes the connection mid-transfer
                               sink.write(data->data() + offset, std::min(length, limit - offset));
                               return true;
                             });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, Repo> repos_;
  std::map<std::string, std::string> renamed_;
  std::string cut_file_, corrupt_file_, token_;
  size_t cut_at_ = 0;
  int fail_status_ = 0;
  std::vector<Request> requests_;
};

}  // namespace tokprob::testing
