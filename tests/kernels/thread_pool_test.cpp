// parallel_for covers every index exactly once, for any thread count, nested or repeated.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "kernels/thread_pool.hpp"

namespace tokprob {
namespace {

TEST(ThreadPool, EveryIndexOnceAcrossThreadCounts) {
  for (int threads : {1, 2, 3}) {
    set_pool_threads(threads);
    for (int64_t n : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep)
        parallel_for(n, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 50) << "threads " << threads << " n " << n;
    }
  }
  set_pool_threads(0);
}

TEST(ThreadPool, NestedCallsRunSerially) {
  set_pool_threads(2);
  std::atomic<int64_t> total{0};
  parallel_for(4, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallel_for(10, 1, [&](int64_t b2, int64_t e2) { total.fetch_add(e2 - b2); });
  });
  EXPECT_EQ(total.load(), 40);
  set_pool_threads(0);
}

}  // namespace
}  // namespace tokprob
