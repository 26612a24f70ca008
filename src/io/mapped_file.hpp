// A read-only memory map of a whole file; weights are used in place from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace tokprob {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // Drops the whole pages of [p, p + n) from this process's resident memory (they stay in the page
  // cache, and a later read faults them back): for bytes converted into a copy.
  void release(const uint8_t* p, size_t n) const;

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tokprob
