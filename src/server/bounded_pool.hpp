// The request threads of the server, with a bounded queue: httplib 0.11's ThreadPool queues
// connections without limit, so a flood of clients grows memory and every client waits longer.
// Here at most `bound` connections wait for a thread; the ones past it go to a refusal thread, where
// each request is answered 503 with Retry-After at once (refusing() tells the handlers so).
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tokprob {

class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t bound);
  ~BoundedPool() override;
  void enqueue(std::function<void()> fn) override;
  // Finishes the connections already accepted (queued ones included), then joins the threads.
  void shutdown() override;

  int64_t waiting() const;  // connections queued for a request thread
  int64_t busy() const;     // connections being served

  // True on the refusal thread: the request there must be answered 503.
  static bool refusing();

 private:
  void serve();
  void refuse();

  size_t bound_;
  mutable std::mutex mutex_;
  std::condition_variable ready_, refused_ready_;
  std::deque<std::function<void()>> jobs_, refused_;
  int64_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::thread refuser_;
};

}  // namespace tokprob
