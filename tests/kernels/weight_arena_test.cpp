// The arena that holds weights converted at load: aligned, non-overlapping, writable blocks of any
// size (small ones from the heap, large ones from 2 MiB-page mappings), valid after a move.
#include "kernels/weight_arena.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace tokprob {
namespace {

TEST(WeightArena, BlocksAreAlignedDisjointAndKeepTheirContents) {
  WeightArena arena;
  // Small, medium (a mapped chunk), larger than a chunk, and odd sizes in between.
  const std::vector<size_t> sizes = {1, 100, 300 << 10, 5 << 20, 3, size_t{70} << 20, 1 << 20, 65};
  std::vector<std::pair<unsigned char*, size_t>> blocks;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto* p = static_cast<unsigned char*>(arena.allocate(sizes[i]));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << sizes[i];
    std::memset(p, static_cast<int>(i + 1), sizes[i]);
    blocks.emplace_back(p, sizes[i]);
  }
  WeightArena moved(std::move(arena));
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto [p, n] = blocks[i];
    EXPECT_TRUE(std::all_of(p, p + n, [&](unsigned char c) { return c == i + 1; })) << "block " << i;
    for (size_t j = i + 1; j < blocks.size(); ++j) {
      const auto [q, m] = blocks[j];
      EXPECT_TRUE(p + n <= q || q + m <= p) << "blocks " << i << " and " << j << " overlap";
    }
  }
}

}  // namespace
}  // namespace tokprob
