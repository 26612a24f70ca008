// Memory for weights converted at load (--dtype): large anonymous mappings that the kernel is
// asked to back with 2 MiB pages. Written once in 4 KiB pages, a converted model took a page
// fault, a page zeroing and its accounting every 4 KiB: a fifth of a converted cold start.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace tokprob {

class WeightArena {
 public:
  WeightArena() = default;
  WeightArena(const WeightArena&) = delete;
  WeightArena& operator=(const WeightArena&) = delete;
  WeightArena(WeightArena&& other) noexcept { swap(other); }
  WeightArena& operator=(WeightArena&& other) noexcept {
    WeightArena(std::move(other)).swap(*this);
    return *this;
  }
  ~WeightArena();

  void swap(WeightArena& other) noexcept {
    chunks_.swap(other.chunks_);
    small_.swap(other.small_);
  }

  // `bytes` of uninitialised memory, 64-byte aligned, valid for the arena's lifetime. Throws
  // std::bad_alloc when the system has no memory for it.
  void* allocate(size_t bytes);

 private:
  struct Chunk {
    void* mapping;
    size_t mapping_bytes;
    char* next;
    char* end;
  };
  std::vector<Chunk> chunks_;
  std::vector<std::unique_ptr<char[]>> small_;  // allocations too small for a huge page of their own
};

}  // namespace tokprob
