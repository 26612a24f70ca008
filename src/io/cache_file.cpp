#include "io/cache_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "tokprob/error.hpp"

namespace tokprob {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kAlign = 64;
constexpr uint32_t kByteOrder = 0x01020304u;  // as written: a file from another byte order is not read

// Every format's suffix: pruning weighs them together, as they share the directory and its cap.
constexpr const char* kSuffixes[] = {".tpw", ".tpt"};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t byte_order;
  uint64_t index_offset, index_bytes, file_bytes;
  uint64_t checksum;  // 0 where the format has none
};
static_assert(sizeof(Header) <= kHeaderBytes);

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Eight bytes at a time, four independent lanes: a megabyte in a small fraction of a millisecond,
// which a byte-wise hash is not. Catches damage, not tampering.
uint64_t checksum_of(const uint8_t* p, uint64_t n) {
  constexpr uint64_t k = 0x9E3779B97F4A7C15ull;
  uint64_t lane[4] = {1, 2, 3, 4};
  uint64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * l, 8);
      lane[l] = (lane[l] ^ w) * k;
      lane[l] ^= lane[l] >> 29;
    }
  uint64_t h = n;
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  for (uint64_t v : lane) h = (h ^ v) * k, h ^= h >> 31;
  return h == 0 ? 1 : h;  // 0 means "none"
}

uint64_t align_up(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool write_all(int fd, const void* data, uint64_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, std::min<uint64_t>(bytes, uint64_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<uint64_t>(n);
  }
  return true;
}

bool has_cache_suffix(const fs::path& p) {
  const std::string ext = p.extension().string();
  return std::any_of(std::begin(kSuffixes), std::end(kSuffixes), [&](const char* s) { return ext == s; });
}

// A temporary file left by a writer that died: a random suffix follows the cache suffix.
bool is_partial(const fs::path& p) {
  const std::string name = p.filename().string();
  return std::any_of(std::begin(kSuffixes), std::end(kSuffixes),
                     [&](const char* s) { return name.find(std::string(s) + ".") != std::string::npos; });
}

void prune(const fs::path& dir, const fs::path& keep) {
  struct File {
    fs::path path;
    uint64_t bytes;
    fs::file_time_type used;
  };
  std::vector<File> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code e1, e2, e3;
    const bool partial = is_partial(p);
    if ((!has_cache_suffix(p) && !partial) || !it->is_regular_file(e1) || p == keep) continue;
    const uint64_t bytes = it->file_size(e2);
    const auto used = it->last_write_time(e3);
    if (e1 || e2 || e3) continue;
    if (partial) {
      if (fs::file_time_type::clock::now() - used > std::chrono::hours(24)) fs::remove(p, e1);
      continue;
    }
    files.push_back({p, bytes, used});
  }
  std::error_code e;
  uint64_t total = fs::file_size(keep, e);
  if (e) total = 0;
  for (const File& f : files) total += f.bytes;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.used < b.used; });
  for (const File& f : files) {
    if (total <= kMaxCacheBytes) break;
    if (fs::remove(f.path, e)) total -= f.bytes;
  }
}

}  // namespace

std::string cache_identity(std::string kind, const std::vector<fs::path>& sources) {
  std::string identity = std::move(kind);
  std::vector<fs::path> files = {"/proc/self/exe"};
  files.insert(files.end(), sources.begin(), sources.end());
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    const fs::path resolved = fs::canonical(files[i], ec);
    struct stat st {};
    if (ec || ::stat(resolved.c_str(), &st) != 0) {
      if (i == 0) continue;  // no /proc: the sources alone
      fail("cannot examine " + files[i].string());
    }
    char stamp[128];
    std::snprintf(stamp, sizeof stamp, " %lld %lld.%09ld %llu:%llu", static_cast<long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec),
                  static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino));
    identity.append("\n").append(resolved.string()).append(stamp);
  }
  return identity;
}

fs::path cache_file_path(const fs::path& dir, const std::string& identity, const std::string& tag,
                         const CacheFileFormat& format) {
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(fnv1a(identity)));
  return dir / (std::string(name) + "-" + tag + format.suffix);
}

std::unique_ptr<MappedCacheFile> MappedCacheFile::open(const fs::path& file, const CacheFileFormat& format,
                                                       const std::string& identity) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < kHeaderBytes) {
    ::close(fd);
    return nullptr;
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return nullptr;
  // Read back from disk, the file then comes into the page cache in 2 MiB pages, which a fresh
  // process maps 2 MiB at a time (advice only).
  ::madvise(p, size, MADV_HUGEPAGE);
  std::unique_ptr<MappedCacheFile> f(new MappedCacheFile);
  f->map_ = static_cast<const uint8_t*>(p);
  f->map_bytes_ = size;

  Header h;
  std::memcpy(&h, f->map_, sizeof h);
  if (std::memcmp(h.magic, format.magic, sizeof h.magic) != 0 || h.version != format.version ||
      h.byte_order != kByteOrder || h.file_bytes != size || h.index_offset < kHeaderBytes || h.index_offset > size ||
      h.index_bytes != size - h.index_offset)
    return nullptr;
  if (format.checksummed && h.checksum != checksum_of(f->map_ + kHeaderBytes, size - kHeaderBytes)) return nullptr;
  f->index_offset_ = h.index_offset;
  f->index_ = nlohmann::json::parse(f->map_ + h.index_offset, f->map_ + size, nullptr, false);
  if (!f->index_.is_object()) return nullptr;
  const auto id = f->index_.find("identity");
  if (id == f->index_.end() || !id->is_string() || id->get_ref<const std::string&>() != identity) return nullptr;
  ::utimensat(AT_FDCWD, file.c_str(), nullptr, 0);
  return f;
}

MappedCacheFile::~MappedCacheFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_bytes_);
}

const uint8_t* MappedCacheFile::blob(uint64_t offset, uint64_t bytes) const {
  if (offset % kAlign != 0 || offset < kHeaderBytes || offset > index_offset_ || bytes > index_offset_ - offset)
    return nullptr;
  return map_ + offset;
}

bool write_cache_file(const fs::path& file, const CacheFileFormat& format, const std::string& identity,
                      const std::vector<CacheBlob>& blobs,
                      const std::function<nlohmann::json(const std::vector<uint64_t>& offsets)>& make_index) {
  const fs::path dir = file.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return false;
  std::string tmp = (dir / (file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return false;
  // Checksummed formats are small: they are assembled in memory and hashed before writing.
  std::string body;
  bool ok = ::lseek(fd, static_cast<off_t>(kHeaderBytes), SEEK_SET) >= 0;
  uint64_t at = kHeaderBytes;
  auto put = [&](const void* data, uint64_t bytes) {
    if (format.checksummed) {
      body.append(static_cast<const char*>(data), bytes);
      return true;
    }
    return write_all(fd, data, bytes);
  };
  static const char zeros[kAlign] = {};
  std::vector<uint64_t> offsets;
  for (const CacheBlob& b : blobs) {
    if (!ok) break;
    const uint64_t offset = align_up(at);
    ok = put(zeros, offset - at) && put(b.data, b.bytes);
    offsets.push_back(offset);
    at = offset + b.bytes;
  }
  ok = ok && put(zeros, align_up(at) - at);
  at = align_up(at);
  nlohmann::json index = make_index(offsets);
  index["identity"] = identity;
  const std::string index_text = index.dump();
  ok = ok && put(index_text.data(), index_text.size());
  Header h{};
  std::memcpy(h.magic, format.magic, sizeof h.magic);
  h.version = format.version;
  h.byte_order = kByteOrder;
  h.index_offset = at;
  h.index_bytes = index_text.size();
  h.file_bytes = at + index_text.size();
  if (format.checksummed) {
    h.checksum = checksum_of(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    ok = ok && write_all(fd, body.data(), body.size());
  }
  ok = ok && ::lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, &h, sizeof h);
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(tmp.c_str(), file.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  prune(dir, file);
  return true;
}

}  // namespace tokprob
