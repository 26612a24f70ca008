#include "kernels/packed_weight_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "tokprob/error.hpp"

namespace tokprob {

namespace fs = std::filesystem;

namespace {

// File layout: a 64-byte header, the weights' bytes at 64-byte aligned offsets, then a JSON index
// naming each weight's shape and offsets. The header: magic, version, then the index's offset and
// length and the whole file's length (a short file is caught before anything is read).
constexpr char kMagic[8] = {'T', 'P', 'W', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kAlign = 64;
constexpr const char* kSuffix = ".tpw";

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t byte_order;  // 0x01020304 as written: a file from another byte order is not read
  uint64_t index_offset, index_bytes, file_bytes;
};
static_assert(sizeof(Header) <= kHeaderBytes);

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

uint64_t align_up(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// The weights' bytes and int8's scales, stored apart (weight_format_bytes counts both).
uint64_t scale_bytes(WeightFormat format, int64_t out, int64_t in) {
  return format == WeightFormat::int8 ? static_cast<uint64_t>(out * ((in + kInt8Block - 1) / kInt8Block)) * 4 : 0;
}
uint64_t data_bytes(WeightFormat format, int64_t out, int64_t in) {
  return static_cast<uint64_t>(weight_format_bytes(format, out, in)) - scale_bytes(format, out, in);
}

// Writes all of `bytes` at the file's current position.
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

bool pad_to(int fd, uint64_t& at, uint64_t offset) {
  static const char zeros[kAlign] = {};
  const uint64_t n = offset - at;
  at = offset;
  return write_all(fd, zeros, n);
}

}  // namespace

PackedWeightCache::PackedWeightCache(const fs::path& dir, const std::vector<fs::path>& sources, WeightFormat format,
                                     const std::string& settings)
    : dir_(dir), format_(format) {
  identity_ = std::string("tokprob packed weights v") + std::to_string(kVersion) + " " + weight_format_name(format);
  if (!settings.empty()) identity_.append("\n").append(settings);
  // The running program is part of the identity: another build may convert differently.
  std::vector<fs::path> files = {"/proc/self/exe"};
  files.insert(files.end(), sources.begin(), sources.end());
  for (const fs::path& source : files) {
    std::error_code ec;
    const fs::path resolved = fs::canonical(source, ec);
    struct stat st {};
    if (ec || ::stat(resolved.c_str(), &st) != 0) {
      if (source == files.front()) continue;  // no /proc: the sources alone
      fail("cannot examine " + source.string());
    }
    char stamp[128];
    std::snprintf(stamp, sizeof stamp, " %lld %lld.%09ld %llu:%llu", static_cast<long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec),
                  static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino));
    identity_.append("\n").append(resolved.string()).append(stamp);
  }
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(fnv1a(identity_)));
  file_ = dir_ / (std::string(name) + "-" + weight_format_name(format) + kSuffix);
  read();
}

PackedWeightCache::~PackedWeightCache() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_bytes_);
}

void PackedWeightCache::read() {
  const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < kHeaderBytes) {
    ::close(fd);
    return;
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return;
  map_ = static_cast<const uint8_t*>(p);
  map_bytes_ = size;

  // Anything unexpected: the file is ignored (and replaced by the next save).
  auto reject = [&] {
    stored_.clear();
    ::munmap(p, size);
    map_ = nullptr;
    map_bytes_ = 0;
  };
  Header h;
  std::memcpy(&h, map_, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.version != kVersion || h.byte_order != 0x01020304u ||
      h.file_bytes != size || h.index_offset < kHeaderBytes || h.index_offset > size ||
      h.index_bytes != size - h.index_offset)
    return reject();
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(map_ + h.index_offset, map_ + size);
    if (!index.is_object() || index.value("identity", std::string()) != identity_ || !index.contains("weights") ||
        !index["weights"].is_array())
      return reject();
    for (const auto& e : index["weights"]) {
      Entry entry;
      const auto name = e.at("name").get<std::string>();
      // Unsigned integers only: nlohmann's get<int64_t>() of a float outside the range is a
      // float-to-int conversion with undefined behaviour (found by the weight_cache fuzz target).
      for (const char* key : {"out", "in", "data", "scales"})
        if (!e.at(key).is_number_unsigned()) return reject();
      const auto out = e.at("out").get<uint64_t>(), in = e.at("in").get<uint64_t>();
      const auto data = e.at("data").get<uint64_t>();
      const auto scales = e.at("scales").get<uint64_t>();
      // Shapes bounded first, so that the byte counts cannot overflow.
      constexpr uint64_t kMaxSide = uint64_t{1} << 31;
      if (out == 0 || in == 0 || out > kMaxSide || in > kMaxSide) return reject();
      entry.out = static_cast<int64_t>(out);
      entry.in = static_cast<int64_t>(in);
      const uint64_t n = data_bytes(format_, entry.out, entry.in), s = scale_bytes(format_, entry.out, entry.in);
      auto inside = [&](uint64_t offset, uint64_t bytes) {
        return offset % kAlign == 0 && offset >= kHeaderBytes && offset <= h.index_offset &&
               bytes <= h.index_offset - offset;
      };
      if (!inside(data, n) || (s > 0 && !inside(scales, s))) return reject();
      entry.packed = map_ + data;
      entry.scales = s > 0 ? reinterpret_cast<const float*>(map_ + scales) : nullptr;
      if (!stored_.emplace(name, entry).second) return reject();  // a name twice
    }
  } catch (const nlohmann::json::exception&) {
    return reject();
  }
  // Used now: the least recently used files are the ones pruned.
  ::utimensat(AT_FDCWD, file_.c_str(), nullptr, 0);
}

std::optional<LinearWeights> PackedWeightCache::find(const std::string& name, int64_t out, int64_t in) {
  const auto it = stored_.find(name);
  if (it == stored_.end() || it->second.out != out || it->second.in != in) return std::nullopt;
  kept_.emplace(name, it->second);
  LinearWeights w;
  w.in = in;
  w.out = out;
  w.format = format_;
  w.packed = it->second.packed;
  w.scales = it->second.scales;
  return w;
}

void PackedWeightCache::add(const std::string& name, const LinearWeights& packed) {
  if (packed.format != format_ || !packed.packed) return;
  if (kept_.emplace(name, Entry{packed.out, packed.in, packed.packed, packed.scales}).second) changed_ = true;
}

bool PackedWeightCache::save() {
  if (!changed_) return false;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return false;
  std::string tmp = (dir_ / (file_.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return false;
  bool ok = true;
  uint64_t at = kHeaderBytes;
  nlohmann::json weights = nlohmann::json::array();
  ok = ok && ::lseek(fd, static_cast<off_t>(kHeaderBytes), SEEK_SET) >= 0;
  for (const auto& [name, e] : kept_) {
    if (!ok) break;
    const uint64_t n = data_bytes(format_, e.out, e.in), s = scale_bytes(format_, e.out, e.in);
    const uint64_t data = at;
    ok = write_all(fd, e.packed, n);
    at += n;
    uint64_t scales = 0;
    if (ok && s > 0) {
      scales = align_up(at);
      ok = pad_to(fd, at, scales) && write_all(fd, e.scales, s);
      at += s;
    }
    ok = ok && pad_to(fd, at, align_up(at));
    weights.push_back({{"name", name}, {"out", e.out}, {"in", e.in}, {"data", data}, {"scales", scales}});
  }
  const std::string index = nlohmann::json{{"identity", identity_}, {"weights", weights}}.dump();
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.byte_order = 0x01020304u;
  h.index_offset = at;
  h.index_bytes = index.size();
  h.file_bytes = at + index.size();
  ok = ok && write_all(fd, index.data(), index.size()) && ::lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, &h, sizeof h);
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(tmp.c_str(), file_.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  changed_ = false;
  prune();
  return true;
}

void PackedWeightCache::prune() const {
  struct File {
    fs::path path;
    uint64_t bytes;
    fs::file_time_type used;
  };
  std::vector<File> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code e1, e2, e3;
    const bool cache_file = p.extension() == kSuffix;
    // Left by a writer that died: its random suffix follows ".tpw".
    const bool partial = p.filename().string().find(std::string(kSuffix) + ".") != std::string::npos;
    if ((!cache_file && !partial) || !it->is_regular_file(e1) || p == file_) continue;
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
  uint64_t total = fs::file_size(file_, e);
  if (e) total = 0;
  for (const File& f : files) total += f.bytes;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.used < b.used; });
  for (const File& f : files) {
    if (total <= kMaxBytes) break;
    if (fs::remove(f.path, e)) total -= f.bytes;
  }
}

}  // namespace tokprob
