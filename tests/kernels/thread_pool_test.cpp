// parallel_for covers every index exactly once, for any thread count, nested or repeated;
// parallel_for_balanced too, and a held-up thread holds up only a small chunk of it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
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

TEST(ThreadPool, BalancedCoversEveryIndexOnceAcrossThreadCounts) {
  for (int threads : {1, 2, 3}) {
    set_pool_threads(threads);
    for (int64_t n : {0, 1, 7, 24, 1000})
      for (int64_t min_chunk : {1, 8}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int rep = 0; rep < 20; ++rep)
          parallel_for_balanced(n, min_chunk, [&](int64_t b, int64_t e) {
            EXPECT_TRUE(e - b >= min_chunk || n < min_chunk) << "a chunk smaller than min_chunk";
            for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
          });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 20) << "threads " << threads << " n " << n;
      }
  }
  set_pool_threads(0);
}

// A worker that stalls in its first chunk (as when another process has its core) must not hold up
// the rest: the calling thread takes every other chunk, so the stalled share is one small chunk.
// With parallel_for's one chunk per thread the worker held half the range and the caller waited.
TEST(ThreadPool, BalancedLeavesAStalledWorkerOneSmallChunk) {
  set_pool_threads(2);
  const int64_t n = 1000;
  const auto caller = std::this_thread::get_id();
  for (int rep = 0; rep < 20; ++rep) {
    std::atomic<int64_t> by_caller{0};
    std::atomic<bool> worker_started{false};
    std::mutex mu;
    std::vector<int64_t> stalled;  // sizes of the ranges the worker ran
    parallel_for_balanced(n, 1, [&](int64_t b, int64_t e) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      if (std::this_thread::get_id() == caller) {
        // The caller's first chunk waits for the worker to take one (or gives up), so that the worker
        // does take part however late the OS runs it.
        while (!worker_started.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        by_caller.fetch_add(e - b);
        return;
      }
      worker_started.store(true);
      // The worker stalls until the caller has done everything but this range (or gives up).
      while (by_caller.load() < n - (e - b) && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      std::lock_guard lock(mu);
      stalled.push_back(e - b);
    });
    int64_t by_worker = 0;
    for (int64_t s : stalled) by_worker += s;
    EXPECT_EQ(by_caller.load() + by_worker, n);
    EXPECT_LE(by_worker, (n + 2 * kBalancedChunksPerThread - 1) / (2 * kBalancedChunksPerThread)) << "rep " << rep;
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
