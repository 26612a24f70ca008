// A CausalLM that many request threads share: each forward() call waits in a queue, and one worker
// thread runs everything waiting as one ragged batch on the real model. Tasks (next, score,
// generate) call it like any model, so requests batch across clients without the tasks knowing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "models/causal_lm.hpp"

namespace tokprob {

struct BatchStats {
  int64_t forwards = 0;       // forward passes run on the real model
  int64_t calls = 0;          // forward() calls served (one per task call step)
  int64_t largest_batch = 0;  // most calls merged into one forward pass
};

class BatchingCausalLM final : public CausalLM {
 public:
  // `max_batch`: most sequences (chunks) merged into one forward pass; a single call with more
  // runs alone.
  BatchingCausalLM(std::shared_ptr<const CausalLM> model, int64_t max_batch);
  ~BatchingCausalLM() override;  // fails the calls still waiting, joins the worker

  const ModelInfo& info() const override { return model_->info(); }
  std::unique_ptr<DecoderState> new_state() const override { return model_->new_state(); }
  // Blocks until the worker has run these chunks (with whatever else was waiting).
  std::vector<float> forward(std::span<DecodeChunk> chunks) const override;

  BatchStats stats() const;
  // Called after each forward pass with the sequences it merged (for /metrics).
  void on_batch(std::function<void(int64_t sequences)> observe);

 private:
  struct Call {
    std::span<DecodeChunk> chunks;
    std::vector<float> logits;
    std::exception_ptr error;
    bool done = false;
  };
  void work();
  void run(std::deque<Call*>& batch) const;

  std::shared_ptr<const CausalLM> model_;
  int64_t max_batch_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_, finished_;
  mutable std::deque<Call*> waiting_;
  mutable BatchStats stats_;
  std::function<void(int64_t)> on_batch_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace tokprob
