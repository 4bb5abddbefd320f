// ModelScheduler: the queue and instances of one loaded model.
//
// - A bounded queue: submit() refuses at once with ResourceExhausted when
//   max_queue requests wait (the HTTP layer answers 429), so overload never
//   piles up.
// - N instances, each a Backend with its own thread (the inference pool: no
//   inference work ever runs on the node's event loop thread).
// - Dynamic batching (opt-in): an idle instance takes the queued requests
//   whose rows fit max_batch_size, waiting at most max_queue_delay after the
//   oldest one arrived for the batch to reach the largest preferred size (or
//   max_batch_size). With a delay of 0 it batches only what is already
//   queued, which is what happens under load.
// - Per-request deadline and cancellation: a request whose deadline passed
//   (Timeout) or whose cancel flag was set (Cancelled, the client went away)
//   is answered without running when an instance reaches it.
//
// Threading: submit() and stop() from any thread; `done` callbacks run on
// an instance thread (or on the caller of stop()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "inference/backend.h"
#include "inference/tensor.h"

namespace synod::inference {

struct InferOutcome {
  std::vector<Tensor> outputs;  // signature order, this request's rows only
  double queue_seconds = 0;     // submit -> batch start
  double compute_seconds = 0;   // Backend::run of the batch
  std::size_t batch_size = 1;   // rows in the batch this request ran in
};

struct InferRequest {
  std::vector<Tensor> inputs;  // signature order, validated (oip_json.h)
  std::size_t rows = 1;        // the batch dimension when the model batches
  MonoTime deadline = MonoTime::max();
  std::shared_ptr<std::atomic<bool>> cancelled;  // may be null
  std::function<void(Result<InferOutcome>)> done;
};

struct SchedulerOptions {
  std::uint32_t max_batch_size = 0;  // 0: no batch dimension
  bool dynamic_batching = false;
  std::chrono::microseconds max_queue_delay{0};
  std::vector<std::uint32_t> preferred_batch_sizes;
  std::uint32_t max_queue = 1024;
};

class ModelScheduler {
 public:
  // Starts one thread per instance (instances must be loaded).
  ModelScheduler(std::string model, SchedulerOptions options,
                 std::vector<std::unique_ptr<Backend>> instances);
  ~ModelScheduler();
  ModelScheduler(const ModelScheduler&) = delete;
  ModelScheduler& operator=(const ModelScheduler&) = delete;

  // Queues the request; `done` runs exactly once unless an error is
  // returned (then it never runs): ResourceExhausted (queue full) or
  // Unavailable (stopping).
  Status submit(InferRequest request);
  // Answers every queued request with Unavailable, lets running batches
  // finish and joins the threads. Idempotent.
  void stop();

  [[nodiscard]] std::size_t queue_depth() const;
  [[nodiscard]] const std::string& model() const { return model_; }

 private:
  struct Pending {
    InferRequest request;
    MonoTime enqueued;
  };
  void worker(Backend& backend);
  // Takes the next batch (called with the lock held); empty when stopping.
  std::vector<Pending> take_batch(std::unique_lock<std::mutex>& lock);
  void run_batch(Backend& backend, std::vector<Pending>& batch);

  const std::string model_;
  const SchedulerOptions options_;
  std::vector<std::unique_ptr<Backend>> instances_;
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // GUARDED_BY(mutex_)
  std::size_t queued_rows_ = 0;  // GUARDED_BY(mutex_)
  bool stopping_ = false;      // GUARDED_BY(mutex_)
};

}  // namespace synod::inference
