#include "io/hf_cache.hpp"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tokprob/error.hpp"

namespace tokprob {

namespace fs = std::filesystem;

bool is_contained_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  for (char c : path)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string_view part =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

void create_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create folder " + dir.string() + ": " + ec.message());
}

// Writes through a temporary file and a rename so that a reader never sees half a file.
void write_atomically(const fs::path& file, const std::string& content) {
  create_dirs(file.parent_path());
  const fs::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) fail("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    fail("cannot write " + file.string());
  }
}

}  // namespace

HfCacheRepo::HfCacheRepo(fs::path cache_dir, const std::string& repo_id) : cache_dir_(std::move(cache_dir)) {
  folder_name_ = "models--";
  for (char c : repo_id) {
    if (c == '/')
      folder_name_ += "--";
    else
      folder_name_ += c;
  }
  dir_ = cache_dir_ / folder_name_;
}

fs::path HfCacheRepo::lock_file(const std::string& etag) const {
  return cache_dir_ / ".locks" / folder_name_ / (etag + ".lock");
}

std::optional<std::string> HfCacheRepo::cached_commit(const std::string& revision) const {
  std::error_code ec;
  if ((revision.size() == 40 || revision.size() == 64) && is_hex(revision) && fs::is_directory(snapshot(revision), ec))
    return revision;
  std::ifstream in(dir_ / "refs" / revision);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string commit = trim(ss.str());
  if (!is_contained_relative_path(commit) || commit.find('/') != std::string::npos) return std::nullopt;
  return commit;
}

void HfCacheRepo::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path ref = dir_ / "refs" / revision;
  if (cached_commit(revision) == commit) return;
  // huggingface_hub reads the file without stripping: no trailing newline.
  write_atomically(ref, commit);
}

bool HfCacheRepo::has_file(const std::string& commit, const std::string& file) const {
  std::error_code ec;
  return fs::is_regular_file(snapshot(commit) / file, ec);
}

bool HfCacheRepo::known_absent(const std::string& commit, const std::string& file) const {
  std::error_code ec;
  return fs::exists(dir_ / ".no_exist" / commit / file, ec);
}

void HfCacheRepo::mark_absent(const std::string& commit, const std::string& file) const {
  write_atomically(dir_ / ".no_exist" / commit / file, "");
}

void HfCacheRepo::link(const std::string& commit, const std::string& file, const std::string& etag) const {
  const fs::path pointer = snapshot(commit) / file;
  const fs::path target = blob(etag);
  create_dirs(pointer.parent_path());
  std::error_code ec;
  fs::remove(pointer, ec);
  fs::create_symlink(target.lexically_relative(pointer.parent_path()), pointer, ec);
  if (!ec) return;
  fs::copy_file(target, pointer, fs::copy_options::overwrite_existing, ec);
  if (ec) fail("cannot link " + pointer.string() + " to " + target.string() + ": " + ec.message());
}

}  // namespace tokprob
