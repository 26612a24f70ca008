// The bench's bandwidth bound reads a buffer of the same kind of memory as the converted weights
// it bounds: a buffer on 4 KiB pages streamed ~20 % slower here than the weights' 2 MiB pages, and
// bf16/f16/int8 decoding came out above 100 % of its bound.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "bounds.hpp"
#include "kernels/weight_arena.hpp"

namespace tokprob::bench {
namespace {

// The VmFlags line of the mapping of /proc/self/smaps that holds `p`.
std::string vm_flags_of(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &begin, &end) == 2 && line.find(':') > line.find(' ')) {
      inside = begin <= address && address < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

bool advised_huge(const void* p) {
  const std::string flags = vm_flags_of(p);
  std::istringstream words(flags.substr(flags.empty() ? 0 : 8));
  for (std::string w; words >> w;)
    if (w == "hg") return true;  // the mapping was advised MADV_HUGEPAGE
  return false;
}

TEST(ReadBuffer, IsTheSameKindOfMemoryAsConvertedWeights) {
  const size_t bytes = size_t{64} << 20;
  const ReadBuffer buffer(bytes);
  ASSERT_EQ(buffer.bytes(), bytes);
  WeightArena weights;
  const void* converted = weights.allocate(bytes);
  ASSERT_FALSE(vm_flags_of(buffer.data()).empty()) << "no mapping holds the buffer";
  EXPECT_EQ(advised_huge(buffer.data()), advised_huge(converted));
  // Filled once: every value is what the constructor wrote.
  for (size_t i = 0; i < buffer.floats(); i += 4099)
    ASSERT_EQ(buffer.data()[i], static_cast<float>(i & 1023) * 1e-3f);
}

}  // namespace
}  // namespace tokprob::bench
