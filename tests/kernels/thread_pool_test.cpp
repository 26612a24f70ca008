// parallel_for covers every index exactly once, for any thread count, nested or repeated.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
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

// A chunk that throws (a bad_alloc in a kernel, a failed check) must reach the caller of
// parallel_for once, from whichever thread ran it, and leave the pool working: before, a worker's
// exception was std::terminate, and the caller's left workers on a dead stack frame.
TEST(ThreadPool, ThrowingChunkReachesTheCallerOnceAndThePoolStaysUsable) {
  for (int threads : {2, 3}) {
    set_pool_threads(threads);
    for (int rep = 0; rep < 200; ++rep) {
      const int64_t bad = rep % threads;  // the caller's chunk or a worker's, in turn
      std::atomic<int> ran{0};
      int caught = 0;
      try {
        parallel_for(threads, 1, [&](int64_t b, int64_t e) {
          ran.fetch_add(1);
          if (b <= bad && bad < e) throw std::runtime_error("chunk " + std::to_string(bad));
        });
      } catch (const std::runtime_error& e) {
        ++caught;
        EXPECT_EQ(std::string(e.what()), "chunk " + std::to_string(bad));
      }
      ASSERT_EQ(caught, 1) << "threads " << threads << " rep " << rep;
      EXPECT_GE(ran.load(), 1);

      // Every chunk throwing: still one exception.
      caught = 0;
      try {
        parallel_for(threads * 4, 1, [](int64_t, int64_t) { throw std::runtime_error("all"); });
      } catch (const std::runtime_error&) {
        ++caught;
      }
      ASSERT_EQ(caught, 1);

      std::vector<std::atomic<int>> hits(100);
      parallel_for(100, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (const auto& h : hits) ASSERT_EQ(h.load(), 1) << "the pool after an exception, threads " << threads;
    }
  }
  set_pool_threads(0);
}

TEST(ThreadPool, ExceptionFromANestedCallReachesTheOuterCaller) {
  set_pool_threads(2);
  EXPECT_THROW(parallel_for(4, 1,
                            [](int64_t b, int64_t) {
                              parallel_for(10, 1, [b](int64_t b2, int64_t) {
                                if (b > 0 && b2 == 0) throw std::out_of_range("inner");
                              });
                            }),
               std::out_of_range);
  std::atomic<int64_t> total{0};
  parallel_for(8, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
  EXPECT_EQ(total.load(), 8);
  set_pool_threads(0);
}

}  // namespace
}  // namespace tokprob
