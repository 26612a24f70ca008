#include "kernels/weight_arena.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace tokprob {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kChunkBytes = size_t{64} << 20;
// Below this an allocation comes from the heap: a model with only small matrices (the test
// fixtures) would otherwise hold a 2 MiB page per chunk it barely uses.
constexpr size_t kSmallBytes = size_t{256} << 10;
constexpr size_t kAlign = 64;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // heap blocks, so ASan sees every overrun
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

}  // namespace

WeightArena::~WeightArena() {
  for (const Chunk& c : chunks_) munmap(c.mapping, c.mapping_bytes);
}

void* WeightArena::allocate(size_t bytes) {
  bytes = round_up(std::max<size_t>(bytes, 1), kAlign);
  if (kSanitized || bytes < kSmallBytes) {
    auto& block = small_.emplace_back(new char[bytes + kAlign]);
    return reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(block.get()), kAlign));
  }
  if (chunks_.empty() || static_cast<size_t>(chunks_.back().end - chunks_.back().next) < bytes) {
    const size_t usable = std::max(kChunkBytes, round_up(bytes, kHugePage));
    const size_t mapping_bytes = usable + kHugePage;  // room to start on a 2 MiB boundary
    void* mapping = mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) throw std::bad_alloc();
    char* start = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(mapping), kHugePage));
    madvise(start, usable, MADV_HUGEPAGE);  // advice only: without THP this is ordinary memory
    chunks_.push_back({mapping, mapping_bytes, start, start + usable});
  }
  Chunk& c = chunks_.back();
  void* out = c.next;
  c.next += bytes;
  return out;
}

}  // namespace tokprob
