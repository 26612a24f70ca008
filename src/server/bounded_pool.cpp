#include "server/bounded_pool.hpp"

#include <algorithm>

namespace tokprob {

namespace {
thread_local bool refusal_thread = false;
}

BoundedPool::BoundedPool(size_t threads, size_t bound) : bound_(bound) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { serve(); });
  refuser_ = std::thread([this] { refuse(); });
}

BoundedPool::~BoundedPool() { shutdown(); }

bool BoundedPool::refusing() { return refusal_thread; }

void BoundedPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    // Connections queued beyond the threads free to take them wait; one that a free thread takes
    // at once does not.
    const auto free_threads = static_cast<int64_t>(threads_.size()) - busy_;
    if (static_cast<int64_t>(jobs_.size()) + 1 - free_threads <= static_cast<int64_t>(bound_)) {
      jobs_.push_back(std::move(fn));
      ready_.notify_one();
      return;
    }
    refused_.push_back(std::move(fn));
  }
  refused_ready_.notify_one();
}

void BoundedPool::serve() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    job();  // httplib's connection task catches what its handlers throw
    std::lock_guard lock(mutex_);
    --busy_;
  }
}

void BoundedPool::refuse() {
  refusal_thread = true;
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      refused_ready_.wait(lock, [this] { return stopping_ || !refused_.empty(); });
      if (refused_.empty()) return;
      job = std::move(refused_.front());
      refused_.pop_front();
    }
    job();
  }
}

void BoundedPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_.notify_all();
  refused_ready_.notify_all();
  for (auto& t : threads_) t.join();
  refuser_.join();
}

int64_t BoundedPool::waiting() const {
  std::lock_guard lock(mutex_);
  return std::max<int64_t>(0, static_cast<int64_t>(jobs_.size()) - (static_cast<int64_t>(threads_.size()) - busy_));
}

int64_t BoundedPool::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

}  // namespace tokprob
