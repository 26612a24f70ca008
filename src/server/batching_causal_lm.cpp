#include "server/batching_causal_lm.hpp"

#include "tokprob/error.hpp"

namespace tokprob {

BatchingCausalLM::BatchingCausalLM(std::shared_ptr<const CausalLM> model, int64_t max_batch)
    : model_(std::move(model)), max_batch_(max_batch < 1 ? 1 : max_batch) {
  worker_ = std::thread([this] { work(); });
}

BatchingCausalLM::~BatchingCausalLM() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  worker_.join();
}

std::vector<float> BatchingCausalLM::forward(std::span<DecodeChunk> chunks) const {
  Call call{chunks, {}, nullptr, false};
  std::unique_lock lock(mutex_);
  if (stopping_) fail("the server is shutting down");
  waiting_.push_back(&call);
  arrived_.notify_one();
  finished_.wait(lock, [&] { return call.done; });
  if (call.error) std::rethrow_exception(call.error);
  return std::move(call.logits);
}

void BatchingCausalLM::on_batch(std::function<void(int64_t)> observe) {
  std::lock_guard lock(mutex_);
  on_batch_ = std::move(observe);
}

BatchStats BatchingCausalLM::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void BatchingCausalLM::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    arrived_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) break;  // stopping, nothing left
    if (stopping_) {
      for (Call* c : waiting_) {
        c->error = std::make_exception_ptr(Error("the server is shutting down"));
        c->done = true;
      }
      waiting_.clear();
      finished_.notify_all();
      break;
    }
    // Everything that arrived while the last batch ran goes into this one, oldest first.
    std::deque<Call*> batch;
    int64_t sequences = 0;
    while (!waiting_.empty()) {
      const auto n = static_cast<int64_t>(waiting_.front()->chunks.size());
      if (!batch.empty() && sequences + n > max_batch_) break;
      sequences += n;
      batch.push_back(waiting_.front());
      waiting_.pop_front();
    }
    const std::function<void(int64_t)> observe = on_batch_;
    lock.unlock();
    run(batch);
    if (observe) observe(sequences);
    lock.lock();
    stats_.forwards++;
    stats_.calls += static_cast<int64_t>(batch.size());
    stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(batch.size()));
    for (Call* c : batch) c->done = true;
    finished_.notify_all();
  }
}

void BatchingCausalLM::run(std::deque<Call*>& batch) const {
  const int64_t V = model_->info().vocab_size;
  std::vector<DecodeChunk> chunks;
  for (const Call* c : batch) chunks.insert(chunks.end(), c->chunks.begin(), c->chunks.end());
  try {
    const std::vector<float> logits = model_->forward(chunks);
    size_t offset = 0;
    for (Call* c : batch) {
      size_t rows = 0;
      for (const auto& ch : c->chunks) rows += ch.logits_for.size();
      c->logits.assign(logits.begin() + static_cast<std::ptrdiff_t>(offset),
                       logits.begin() + static_cast<std::ptrdiff_t>(offset + rows * V));
      offset += rows * V;
    }
    return;
  } catch (...) {
    if (batch.size() == 1) {
      batch.front()->error = std::current_exception();
      return;
    }
  }
  // One bad call must not fail the others: run each alone. Models check every chunk before
  // touching any cache, so a failed pass left the states as they were.
  for (Call* c : batch) {
    try {
      c->logits = model_->forward(c->chunks);
    } catch (...) {
      c->error = std::current_exception();
    }
  }
}

}  // namespace tokprob
