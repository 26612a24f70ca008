// Files that keep work done at load (converted weights, parsed tokenizers) for the next load, in
// one cache directory. Each file is named by a digest of its identity: the running program (another
// build may build differently), the source files it was made from (resolved path, size,
// modification time, device and inode) and whatever else decides its content; a changed source or
// program gets a new name. A file is written whole under a temporary name and renamed, so that a
// reader never sees a partial one, even with several writers at once; one that fails any check is
// ignored and replaced. Least recently used files go when the directory holds too much.
//
// Layout: a 64-byte header, blobs at 64-byte aligned offsets, then a JSON index whose "identity"
// must match. The header: magic, version, byte order, the index's offset and length, the file's
// length (a short file is caught before anything is read) and, for formats that ask for it, a
// checksum of everything after the header (small files whose bytes are not checked otherwise).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tokprob {

struct CacheFileFormat {
  char magic[8];
  uint32_t version;
  const char* suffix;  // ".tpw"
  bool checksummed;    // false for gigabytes of weights, which a checksum would have to read at every load
};

// `kind` (a line naming the content and its format version), then the running program's and each
// source's stamp. Throws tokprob::Error when a source cannot be examined.
std::string cache_identity(std::string kind, const std::vector<std::filesystem::path>& sources);

// dir/<digest of identity>-<tag><suffix>
std::filesystem::path cache_file_path(const std::filesystem::path& dir, const std::string& identity,
                                      const std::string& tag, const CacheFileFormat& format);

// A cache file mapped read-only, its header, checksum and identity checked.
class MappedCacheFile {
 public:
  // Null when the file is absent, damaged, of another format or version, or of another identity.
  // A file opened is marked used now (pruning removes the least recently used).
  static std::unique_ptr<MappedCacheFile> open(const std::filesystem::path& file, const CacheFileFormat& format,
                                               const std::string& identity);
  ~MappedCacheFile();
  MappedCacheFile(const MappedCacheFile&) = delete;
  MappedCacheFile& operator=(const MappedCacheFile&) = delete;

  const nlohmann::json& index() const { return index_; }
  // The `bytes` bytes at `offset` when they lie between the header and the index and `offset` is
  // 64-byte aligned; else null.
  const uint8_t* blob(uint64_t offset, uint64_t bytes) const;

 private:
  MappedCacheFile() = default;
  const uint8_t* map_ = nullptr;
  uint64_t map_bytes_ = 0, index_offset_ = 0;
  nlohmann::json index_;
};

struct CacheBlob {
  const void* data;
  uint64_t bytes;
};

// Writes `blobs` (each at a 64-byte aligned offset) and the index that `make_index` returns given
// their offsets, with "identity" added, to a temporary file renamed to `file`; then prunes the
// directory. A cache only saves time, so a failure (read-only or full disk) is no error: false.
bool write_cache_file(const std::filesystem::path& file, const CacheFileFormat& format, const std::string& identity,
                      const std::vector<CacheBlob>& blobs,
                      const std::function<nlohmann::json(const std::vector<uint64_t>& offsets)>& make_index);

// Total bytes of cache files kept in a directory (every format together); the least recently used
// beyond it are removed after a write (the file just written never is), and temporary files left
// by a writer that died are removed after a day.
inline constexpr uint64_t kMaxCacheBytes = uint64_t{32} << 30;

}  // namespace tokprob
