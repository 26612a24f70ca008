// The Hugging Face hub cache on disk, laid out exactly as Python's huggingface_hub lays it out so
// that a model downloaded by either is used by the other:
//   {cache}/models--{org}--{name}/blobs/{etag}                  file contents, named by ETag
//                                 refs/{revision}               commit a branch or tag last pointed to
//                                 snapshots/{commit}/{file}     relative symlink to ../../blobs/{etag}
//                                 .no_exist/{commit}/{file}     empty: the file is known absent at commit
//   {cache}/.locks/models--{org}--{name}/{etag}.lock           flock()ed while a blob is written
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tokprob {

// True for a relative path that stays inside the folder it is taken from: not empty, not
// absolute, no "." or ".." component, no backslash or control character. File names that come
// from a server (sharded weight indexes) must pass this before they touch the disk.
bool is_contained_relative_path(std::string_view path);

class HfCacheRepo {
 public:
  HfCacheRepo(std::filesystem::path cache_dir, const std::string& repo_id);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path snapshot(const std::string& commit) const { return dir_ / "snapshots" / commit; }
  std::filesystem::path blob(const std::string& etag) const { return dir_ / "blobs" / etag; }
  std::filesystem::path lock_file(const std::string& etag) const;

  // The commit a revision stands for in the cache: a commit hash with a snapshot folder is itself;
  // a branch or tag is what refs/{revision} holds. nullopt when neither is cached.
  std::optional<std::string> cached_commit(const std::string& revision) const;
  // Records that `revision` points at `commit` (nothing to do when revision is that commit).
  void write_ref(const std::string& revision, const std::string& commit) const;

  // The snapshot's file exists (its symlink resolves to a blob).
  bool has_file(const std::string& commit, const std::string& file) const;
  bool known_absent(const std::string& commit, const std::string& file) const;
  void mark_absent(const std::string& commit, const std::string& file) const;
  // Points snapshots/{commit}/{file} at blobs/{etag} with a relative symlink (a copy where the
  // file system has no symlinks).
  void link(const std::string& commit, const std::string& file, const std::string& etag) const;

 private:
  std::filesystem::path cache_dir_, dir_;
  std::string folder_name_;
};

}  // namespace tokprob
