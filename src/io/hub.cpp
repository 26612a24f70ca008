#include "io/hub.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "io/cache_home.hpp"
#include "io/hf_cache.hpp"
#include "io/http_client.hpp"
#include "io/sha256.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxRepoIdLength = 96;
constexpr size_t kMaxRevisionLength = 255;
constexpr int kMaxRelativeRedirects = 10;
constexpr std::uint64_t kProgressMinBytes = 1 << 20;

const std::array<const char*, 9> kTokenizerFiles = {
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",       "merges.txt",
    "vocab.txt",      "spiece.model",          "tokenizer.model",         "added_tokens.json"};
// The files a tokenizer can be built from (the others only add to one).
const std::array<const char*, 5> kTokenizerBases = {"tokenizer.json", "vocab.json", "vocab.txt", "spiece.model",
                                                    "tokenizer.model"};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

bool is_commit_hash(std::string_view s) { return (s.size() == 40 || s.size() == 64) && is_lower_hex(s); }

// One part of a repo id, by huggingface_hub's rules.
std::optional<std::string> bad_name_part(std::string_view part) {
  if (part.empty()) return "empty name";
  for (char c : part)
    if (!is_name_char(c)) return std::string("character '") + c + "' not allowed";
  if (part.find("--") != std::string_view::npos || part.find("..") != std::string_view::npos)
    return "'--' and '..' are not allowed";
  if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.')
    return "a name cannot start or end with '-' or '.'";
  return std::nullopt;
}

std::optional<std::string> bad_revision(std::string_view rev) {
  if (rev.empty()) return "empty revision after '@'";
  if (rev.size() > kMaxRevisionLength) return "revision longer than 255 characters";
  for (char c : rev)
    if (!is_name_char(c) && c != '/') return std::string("character '") + c + "' not allowed in a revision";
  // Revisions name files under refs/: they must stay there.
  if (!is_contained_relative_path(rev)) return "revision '" + std::string(rev) + "' is not a plain name";
  return std::nullopt;
}

std::string getenv_string(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool env_flag(const char* name) {
  std::string v = getenv_string(name);
  for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// Percent-encodes all but unreserved characters (and '/' when `keep_slash`), as Python's quote().
std::string url_quote(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// "https://host:port" of an endpoint, for redirects that give only a path.
std::string url_origin(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string describe_status(const HttpResponse& r) {
  const std::string code = r.header("x-error-code");
  return std::to_string(r.status) + (code.empty() ? "" : " " + code);
}

// What a HEAD request tells about one file.
struct FileMeta {
  std::string commit;
  std::string etag;
  std::uint64_t size = 0;  // 0: unknown
  bool lfs = false;        // stored in Git LFS: etag is the content's sha256
};

// An exclusive flock() on the lock file huggingface_hub also uses, released on destruction.
class BlobLock {
 public:
  explicit BlobLock(const fs::path& file) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open lock file " + file.string());
    if (::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fail("cannot lock " + file.string());
    }
  }
  ~BlobLock() { ::close(fd_); }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

class HubFetch {
 public:
  HubFetch(const HubModelId& id, HubFiles files, const HubSettings& s)
      : id_(id), files_(files), s_(s), cache_(s.cache_dir, id.repo) {
    endpoint_ = s.endpoint;
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  }

  fs::path run() {
    if (s_.offline) return offline_snapshot();
    // A commit hash names immutable files: a complete snapshot of it needs no request.
    if (is_commit_hash(id_.revision) && complete(id_.revision)) return cache_.snapshot(id_.revision);
    http_ = std::make_unique<HttpClient>(s_.token);

    const bool config_required = files_ == HubFiles::model;
    const bool has_config = lookup("config.json", config_required);
    if (fallback_) return *fallback_;
    if (!has_config && !commit_)
      fail("model '" + name() + "' on " + endpoint_ + " has no config.json and sent no commit (X-Repo-Commit)");
    if (files_ == HubFiles::model) fetch_weights();
    if (files_ == HubFiles::model) lookup("generation_config.json", false);
    for (const char* f : kTokenizerFiles) lookup(f, false);
    return cache_.snapshot(*commit_);
  }

 private:
  std::string name() const { return id_.revision == "main" ? id_.repo : id_.repo + "@" + id_.revision; }

  std::string url(const std::string& file, const std::string& revision) const {
    return endpoint_ + "/" + id_.repo + "/resolve/" + url_quote(revision, false) + "/" + url_quote(file, true);
  }

  // Whether the snapshot of `commit` holds the weights (one file, or an index and all its shards).
  bool has_weights(const std::string& commit, std::string* missing) const {
    if (cache_.has_file(commit, "model.safetensors")) return true;
    if (!cache_.has_file(commit, "model.safetensors.index.json")) {
      if (missing) *missing = "model.safetensors";
      return false;
    }
    for (const auto& shard : shard_names(commit)) {
      if (!cache_.has_file(commit, shard)) {
        if (missing) *missing = shard;
        return false;
      }
    }
    return true;
  }

  // Enough of a cached snapshot to run on: what a command cannot do without.
  bool usable(const std::string& commit, std::string* missing) const {
    if (files_ == HubFiles::model) {
      if (!cache_.has_file(commit, "config.json")) {
        if (missing) *missing = "config.json";
        return false;
      }
      if (!has_weights(commit, missing)) return false;
    }
    for (const char* f : kTokenizerBases)
      if (cache_.has_file(commit, f)) return true;
    if (missing) *missing = "tokenizer.json";
    return false;
  }

  // Every file asked for is there or known absent: nothing to ask the server.
  bool complete(const std::string& commit) const {
    const auto settled = [&](const std::string& f) {
      return cache_.has_file(commit, f) || cache_.known_absent(commit, f);
    };
    if (!settled("config.json")) return false;
    if (files_ == HubFiles::model) {
      if (!has_weights(commit, nullptr) || !settled("generation_config.json")) return false;
      if (!cache_.has_file(commit, "config.json")) return false;
    }
    for (const char* f : kTokenizerFiles)
      if (!settled(f)) return false;
    return usable(commit, nullptr);
  }

  fs::path offline_snapshot() const {
    const auto commit = cache_.cached_commit(id_.revision);
    if (!commit)
      fail("model '" + name() + "' is not in the Hugging Face cache at " + s_.cache_dir.string() +
           ", and HF_HUB_OFFLINE=1 forbids downloading it");
    std::string missing;
    if (!usable(*commit, &missing))
      fail("cached model '" + name() + "' at " + cache_.snapshot(*commit).string() + " lacks " + missing +
           ", and HF_HUB_OFFLINE=1 forbids downloading it");
    return cache_.snapshot(*commit);
  }

  std::vector<std::string> shard_names(const std::string& commit) const {
    const fs::path index = cache_.snapshot(commit) / "model.safetensors.index.json";
    std::ifstream in(index);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      fail(index.string() + ": not valid JSON");
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index.string() + ": no \"weight_map\" object");
    std::set<std::string> names;
    for (const auto& [tensor, file] : j["weight_map"].items()) {
      if (!file.is_string()) fail(index.string() + ": weight_map entry for '" + tensor + "' is not a file name");
      const std::string shard = file.get<std::string>();
      // The index comes from the server: its names must not lead out of the snapshot.
      if (!is_contained_relative_path(shard))
        fail(index.string() + ": shard name '" + shard + "' leads outside the model folder");
      names.insert(shard);
    }
    if (names.empty()) fail(index.string() + ": weight_map is empty");
    return {names.begin(), names.end()};
  }

  void fetch_weights() {
    if (lookup("model.safetensors", false)) return;
    if (!lookup("model.safetensors.index.json", false))
      fail("model '" + name() + "' on " + endpoint_ +
           " has no model.safetensors or model.safetensors.index.json (tokprob reads safetensors weights only)");
    for (const auto& shard : shard_names(*commit_)) lookup(shard, true);
  }

  // HEAD, following redirects that stay on the endpoint's host (renamed repositories) but not
  // the one to the storage host: its response carries the file's metadata.
  HttpResponse head(const std::string& file) {
    std::string u = url(file, commit_ ? *commit_ : id_.revision);
    for (int hop = 0;; ++hop) {
      HttpResponse r = http_->head(u);
      if (!r.transport_error.empty() || r.status < 300 || r.status >= 400) return r;
      const std::string location = r.header("location");
      if (location.empty() || location[0] != '/' || location.rfind("//", 0) == 0 || hop == kMaxRelativeRedirects)
        return r;
      u = url_origin(endpoint_) + location;
    }
  }

  [[noreturn]] void fail_http(const std::string& file, const HttpResponse& r) const {
    const std::string code = r.header("x-error-code");
    const std::string where = " on " + endpoint_ + " (" + describe_status(r) + ")";
    if (code == "RepoNotFound" || (r.status == 401 && code.empty()))
      fail("model '" + id_.repo + "' not found" + where +
           (r.status == 401 ? "; if it is private or gated, set HF_TOKEN" : ""));
    if (code == "RevisionNotFound")
      fail("revision '" + id_.revision + "' of model '" + id_.repo + "' not found" + where);
    if (code == "GatedRepo" || r.status == 401 || r.status == 403)
      fail("model '" + id_.repo + "'" + where + ": access denied; a gated model needs its conditions accepted on its " +
           "page and HF_TOKEN set to a token of that account");
    if (r.status == 404) fail("'" + file + "' of model '" + name() + "' not found" + where);
    fail("'" + file + "' of model '" + name() + "'" + where +
         (r.status >= 500 ? ": server error, try again later" : ": unexpected answer"));
  }

  FileMeta parse_meta(const std::string& file, const HttpResponse& r) const {
    FileMeta m;
    m.commit = r.header("x-repo-commit");
    std::string etag = r.header("x-linked-etag");
    m.lfs = !etag.empty();
    if (etag.empty()) etag = r.header("etag");
    if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    m.etag = etag;
    // A redirect's Content-Length is that of the redirect, not of the file.
    const std::string size = m.lfs ? r.header("x-linked-size") : r.status < 300 ? r.header("content-length") : "";
    if (!size.empty()) m.size = std::strtoull(size.c_str(), nullptr, 10);
    const std::string what = "'" + file + "' of model '" + name() + "' on " + endpoint_;
    if (!is_commit_hash(m.commit))
      fail(what + ": no valid X-Repo-Commit header ('" + m.commit + "'); is HF_ENDPOINT a Hugging Face hub?");
    // The ETag names a file in blobs/: it must be a plain name.
    bool plain = !m.etag.empty() && m.etag.size() <= 128 && m.etag.front() != '.';
    for (char c : m.etag)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!plain) fail(what + ": unusable ETag '" + m.etag + "'");
    if (m.lfs && !(m.etag.size() == 64 && is_lower_hex(m.etag)))
      fail(what + ": X-Linked-Etag '" + m.etag + "' is not a sha256");
    return m;
  }

  // Makes `file` present in the snapshot (true) or establishes it is absent (false; fatal when
  // `required`).
  bool lookup(const std::string& file, bool required) {
    if (commit_ && cache_.has_file(*commit_, file)) return true;
    if (commit_ && cache_.known_absent(*commit_, file)) {
      if (required) fail("'" + file + "' of model '" + name() + "' does not exist on " + endpoint_ + " (cached 404)");
      return false;
    }
    const bool first_request = !contacted_;
    HttpResponse r = head(file);
    // No answer, or a server error, on the first request: a snapshot of the revision already
    // cached is used as it is, as huggingface_hub does.
    if (first_request && (!r.transport_error.empty() || r.status >= 500) && use_cached_snapshot()) return false;
    if (!r.transport_error.empty()) {
      const auto commit = cache_.cached_commit(id_.revision);
      std::string missing;
      if (first_request && commit) usable(*commit, &missing);
      fail("no network: cannot reach " + endpoint_ + " for '" + file + "' of model '" + name() + "' (" +
           r.transport_error + ")" +
           (!first_request ? std::string()
            : commit       ? ", and its cached copy lacks " + missing
                           : ", and it is not in the cache " + s_.cache_dir.string()));
    }
    contacted_ = true;
    if (r.status == 404 && r.header("x-error-code") != "RepoNotFound" &&
        r.header("x-error-code") != "RevisionNotFound") {
      if (required) fail_http(file, r);
      // The hub names the commit in a 404 too: remember the absence as huggingface_hub does.
      const std::string commit = r.header("x-repo-commit");
      if (is_commit_hash(commit)) {
        set_commit(commit);
        cache_.mark_absent(commit, file);
      }
      return false;
    }
    if (r.status >= 400 || r.status < 200) fail_http(file, r);
    const FileMeta meta = parse_meta(file, r);
    set_commit(meta.commit);
    if (!cache_.has_file(*commit_, file)) fetch_blob(file, meta);
    return true;
  }

  bool use_cached_snapshot() {
    const auto commit = cache_.cached_commit(id_.revision);
    if (!commit || !usable(*commit, nullptr)) return false;
    fallback_ = cache_.snapshot(*commit);
    return true;
  }

  void set_commit(const std::string& commit) {
    if (commit_) {
      if (*commit_ != commit)
        fail("model '" + name() + "' on " + endpoint_ + " changed commit during the download (" + *commit_ + " then " +
             commit + "); run the command again");
      return;
    }
    commit_ = commit;
    cache_.write_ref(id_.revision, commit);
  }

  void fetch_blob(const std::string& file, const FileMeta& meta) {
    const fs::path blob = cache_.blob(meta.etag);
    std::error_code ec;
    if (!fs::is_regular_file(blob, ec)) {
      BlobLock lock(cache_.lock_file(meta.etag));
      // Another process may have finished it while this one waited for the lock.
      if (!fs::is_regular_file(blob, ec)) download(file, meta, blob);
    }
    cache_.link(*commit_, file, meta.etag);
  }

  void download(const std::string& file, const FileMeta& meta, const fs::path& blob) {
    std::error_code ec;
    fs::create_directories(blob.parent_path(), ec);
    if (ec) fail("cannot create folder " + blob.parent_path().string() + ": " + ec.message());
    const fs::path part = blob.string() + ".incomplete";
    std::uint64_t have = fs::is_regular_file(part, ec) ? fs::file_size(part, ec) : 0;
    if (meta.size > 0 && have > meta.size) {
      fs::remove(part, ec);
      have = 0;
    }
    const std::string what = "'" + file + "' of model '" + name() + "'";
    if (!(meta.size > 0 && have == meta.size)) {
      if (s_.progress && !announced_) {
        std::cerr << "Downloading model '" << name() << "' into " << cache_.dir().string() << '\n';
        announced_ = true;
      }
      // Bars for the big files only: a bar that is full at once says nothing.
      const bool bar = s_.progress && (meta.size == 0 || meta.size >= kProgressMinBytes);
      HttpResponse r = http_->download(url(file, *commit_), part, have, meta.size, bar ? file : std::string());
      if (r.status == 416 && have > 0) {  // what is there cannot be continued: start over
        fs::remove(part, ec);
        r = http_->download(url(file, *commit_), part, 0, meta.size, bar ? file : std::string());
      }
      if (!r.transport_error.empty())
        fail("downloading " + what + " from " + endpoint_ + " failed (" + r.transport_error +
             "); run the command again to resume");
      if (r.status != 200 && r.status != 206) fail_http(file, r);
    }
    const std::uint64_t got = fs::file_size(part, ec);
    if (ec) fail("cannot read " + part.string());
    if (meta.size > 0 && got != meta.size) {
      if (got > meta.size) fs::remove(part, ec);
      fail("downloading " + what + " from " + endpoint_ + " stopped at " + std::to_string(got) + " of " +
           std::to_string(meta.size) + " bytes; run the command again to resume");
    }
    if (meta.lfs) {
      const std::string digest = sha256_file_hex(part);
      if (digest != meta.etag) {
        fs::remove(part, ec);
        fail("downloaded " + what + " is corrupt (sha256 " + digest + ", expected " + meta.etag +
             "); it was discarded, run the command again");
      }
    }
    fs::rename(part, blob, ec);
    if (ec) fail("cannot move " + part.string() + " to " + blob.string() + ": " + ec.message());
  }

  const HubModelId& id_;
  HubFiles files_;
  const HubSettings& s_;
  HfCacheRepo cache_;
  std::string endpoint_;
  std::unique_ptr<HttpClient> http_;
  std::optional<std::string> commit_;
  std::optional<fs::path> fallback_;  // the cached snapshot used when the server cannot be reached
  bool contacted_ = false;
  bool announced_ = false;
};

}  // namespace

std::optional<HubModelId> parse_hub_model_id(std::string_view text, std::string* why) {
  const auto reject = [&](const std::string& reason) -> std::optional<HubModelId> {
    if (why) *why = reason;
    return std::nullopt;
  };
  HubModelId id;
  std::string_view repo = text;
  if (const size_t at = text.find('@'); at != std::string_view::npos) {
    repo = text.substr(0, at);
    const std::string_view rev = text.substr(at + 1);
    if (auto bad = bad_revision(rev)) return reject(*bad);
    id.revision = std::string(rev);
  }
  if (repo.size() > kMaxRepoIdLength) return reject("longer than 96 characters");
  const size_t slash = repo.find('/');
  if (slash != std::string_view::npos) {
    if (repo.find('/', slash + 1) != std::string_view::npos) return reject("more than one '/'");
    if (auto bad = bad_name_part(repo.substr(0, slash))) return reject(*bad);
    if (auto bad = bad_name_part(repo.substr(slash + 1))) return reject(*bad);
  } else if (auto bad = bad_name_part(repo)) {
    return reject(*bad);
  }
  id.repo = std::string(repo);
  return id;
}

HubSettings HubSettings::from_environment() {
  HubSettings s;
  const fs::path hf_home = !getenv_string("HF_HOME").empty() ? expand_home(getenv_string("HF_HOME"))
                                                             : user_cache_home() / "huggingface";
  if (const std::string c = getenv_string("HF_HUB_CACHE"); !c.empty())
    s.cache_dir = expand_home(c);
  else if (const std::string legacy = getenv_string("HUGGINGFACE_HUB_CACHE"); !legacy.empty())
    s.cache_dir = expand_home(legacy);
  else
    s.cache_dir = hf_home / "hub";
  if (const std::string e = getenv_string("HF_ENDPOINT"); !e.empty()) s.endpoint = e;
  s.token = trim(getenv_string("HF_TOKEN"));
  if (s.token.empty()) s.token = trim(getenv_string("HUGGING_FACE_HUB_TOKEN"));
  if (s.token.empty()) {
    const std::string token_path = getenv_string("HF_TOKEN_PATH");
    std::ifstream in(token_path.empty() ? hf_home / "token" : expand_home(token_path));
    std::stringstream ss;
    if (in) ss << in.rdbuf();
    s.token = trim(ss.str());
  }
  s.offline = env_flag("HF_HUB_OFFLINE") || env_flag("TRANSFORMERS_OFFLINE");
  s.progress = ::isatty(STDERR_FILENO) != 0;
  return s;
}

fs::path hub_snapshot(const HubModelId& id, HubFiles files, const HubSettings& settings) {
  return HubFetch(id, files, settings).run();
}

fs::path resolve_model(const std::string& model, HubFiles files, const HubSettings& settings,
                       const std::string& revision) {
  std::error_code ec;
  if (model.empty()) option_error("model", "is empty");
  if (fs::is_directory(model, ec)) return model;
  if (fs::exists(model, ec)) fail("not a model folder (not a directory): " + model);
  std::string why;
  const bool path_like = model[0] == '/' || model[0] == '.' || model[0] == '~';
  const auto id = path_like ? std::nullopt : parse_hub_model_id(model, &why);
  if (!id)
    fail("model folder not found: " + model + (why.empty() ? "" : " (nor is it a Hugging Face model id: " + why + ")"));
  HubModelId at = *id;
  if (!revision.empty()) {
    if (auto bad = bad_revision(revision)) option_error("revision", "is not valid: " + *bad);
    at.revision = revision;
  }
  return hub_snapshot(at, files, settings);
}

fs::path resolve_model(const std::string& model, HubFiles files, const std::string& revision) {
  return resolve_model(model, files, HubSettings::from_environment(), revision);
}

}  // namespace tokprob
