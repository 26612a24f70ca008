#include "kernels/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tokprob {

namespace {

class Pool {
 public:
  ~Pool() { resize(1); }

  void resize(int n) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    size_ = std::max(1, n);
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { work(); });
  }

  int size() const { return size_; }

  void run(int64_t chunks, const std::function<void(int64_t)>& task) {
    if (chunks <= 1 || size_ == 1 || in_pool_) {
      for (int64_t c = 0; c < chunks; ++c) task(c);
      return;
    }
    std::lock_guard serial(run_mu_);  // one parallel region at a time
    Job job{&task, chunks};
    {
      std::lock_guard lock(mu_);
      job_ = &job;
      ++generation_;
    }
    cv_.notify_all();
    in_pool_ = true;
    drain(job);
    in_pool_ = false;
    // The chunks are short: spin briefly before yielding the core.
    for (int spin = 0; job.done.load(std::memory_order_acquire) < chunks; ++spin)
      if (spin > 1000) std::this_thread::yield();
    {
      std::lock_guard lock(mu_);
      job_ = nullptr;
    }
    // No worker may still hold a pointer to this stack frame's job when it returns.
    while (job.inside.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  struct Job {
    const std::function<void(int64_t)>* task;
    int64_t chunks;
    std::atomic<int64_t> next{0}, done{0};
    std::atomic<int> inside{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error = nullptr;  // the first chunk's exception; written by whoever set `failed`
  };

  // An exception must not leave a worker thread (std::terminate) nor leave the caller before
  // every chunk is accounted for (workers would touch a dead stack frame): the first one is kept
  // for the caller to rethrow, and the chunks not yet started are skipped.
  static void drain(Job& job) {
    for (int64_t c; (c = job.next.fetch_add(1)) < job.chunks;) {
      if (!job.failed.load(std::memory_order_relaxed)) {
        try {
          (*job.task)(c);
        } catch (...) {
          if (!job.failed.exchange(true)) job.error = std::current_exception();
        }
      }
      job.done.fetch_add(1, std::memory_order_release);
    }
  }

  void work() {
    in_pool_ = true;
    uint64_t seen = 0;
    while (true) {
      spin_until_changed(seen);
      Job* job = nullptr;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
        seen = generation_.load(std::memory_order_relaxed);
        if (stop_) return;
        job = job_;
        if (!job) continue;
        job->inside.fetch_add(1);
      }
      drain(*job);
      job->inside.fetch_sub(1, std::memory_order_release);
    }
  }

  // Decoding runs a parallel region per matrix, tens of microseconds apart: a worker that went to
  // sleep after each one woke too late for the next (the caller had done its chunks by then), so
  // workers watch for the next region for a while before sleeping on the condition variable.
  void spin_until_changed(uint64_t seen) const {
    constexpr auto kSpin = std::chrono::microseconds(200);
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 1; generation_.load(std::memory_order_acquire) == seen; ++i) {
      __builtin_ia32_pause();
      if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return;
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};  // written under mu_; read without it while spinning
  bool stop_ = false;
  Job* job_ = nullptr;
  static thread_local bool in_pool_;
};

thread_local bool Pool::in_pool_ = false;

Pool& pool() {
  static Pool p;
  return p;
}

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

bool g_configured = false;

}  // namespace

void set_pool_threads(int n) {
  pool().resize(n <= 0 ? default_threads() : n);
  g_configured = true;
}

int pool_threads() {
  if (!g_configured) set_pool_threads(0);
  return pool().size();
}

namespace {

void run_chunks(int64_t n, int64_t chunks, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t per = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    const int64_t b = c * per, e = std::min(n, b + per);
    if (b < e) fn(b, e);
  });
}

}  // namespace

void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = pool_threads();
  run_chunks(n, std::max<int64_t>(1, std::min(threads, n / std::max<int64_t>(1, min_chunk))), fn);
}

void parallel_for_balanced(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = pool_threads();
  const int64_t most = std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk));
  // A whole number of chunks per thread where there are enough, so that threads that all run do
  // equal work.
  const int64_t chunks = most < threads ? most : std::min(most / threads, kBalancedChunksPerThread) * threads;
  run_chunks(n, chunks, fn);
}

}  // namespace tokprob
