#include "inference/scheduler.h"

#include <algorithm>

namespace synod::inference {
namespace {

double seconds_between(MonoTime a, MonoTime b) {
  return std::chrono::duration<double>(b - a).count();
}

MonoTime now() { return MonoTime(std::chrono::steady_clock::now().time_since_epoch()); }

}  // namespace

ModelScheduler::ModelScheduler(std::string model, SchedulerOptions options,
                               std::vector<std::unique_ptr<Backend>> instances)
    : model_(std::move(model)), options_(std::move(options)), instances_(std::move(instances)) {
  for (auto& instance : instances_) {
    Backend* backend = instance.get();
    threads_.emplace_back([this, backend] { worker(*backend); });
  }
}

ModelScheduler::~ModelScheduler() { stop(); }

Status ModelScheduler::submit(InferRequest request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return unavailable("model " + model_ + " is unloading");
    if (queue_.size() >= options_.max_queue) {
      return resource_exhausted("model " + model_ + ": queue full (" +
                                std::to_string(options_.max_queue) + " requests waiting)");
    }
    queued_rows_ += request.rows;
    queue_.push_back(Pending{std::move(request), now()});
  }
  wake_.notify_one();
  return Status::ok();
}

void ModelScheduler::stop() {
  std::deque<Pending> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
    queued_rows_ = 0;
  }
  wake_.notify_all();
  for (auto& p : dropped) p.request.done(unavailable("model " + model_ + " was unloaded"));
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t ModelScheduler::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::vector<ModelScheduler::Pending> ModelScheduler::take_batch(
    std::unique_lock<std::mutex>& lock) {
  wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  std::vector<Pending> batch;
  if (stopping_) return batch;
  const bool batching = options_.dynamic_batching && options_.max_batch_size > 0;
  if (!batching) {
    queued_rows_ -= queue_.front().request.rows;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    return batch;
  }
  std::size_t target = options_.max_batch_size;
  if (!options_.preferred_batch_sizes.empty()) {
    target = std::min<std::size_t>(
        target, *std::max_element(options_.preferred_batch_sizes.begin(),
                                  options_.preferred_batch_sizes.end()));
  }
  if (options_.max_queue_delay.count() > 0 && queued_rows_ < target) {
    const auto until = std::chrono::steady_clock::time_point(
        (queue_.front().enqueued + options_.max_queue_delay).time_since_epoch());
    wake_.wait_until(lock, until, [&] { return stopping_ || queued_rows_ >= target; });
    if (stopping_ || queue_.empty()) return batch;
  }
  std::size_t rows = 0;
  while (!queue_.empty()) {
    const std::size_t next = queue_.front().request.rows;
    if (!batch.empty() && rows + next > options_.max_batch_size) break;
    rows += next;
    queued_rows_ -= next;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void ModelScheduler::worker(Backend& backend) {
  std::unique_lock lock(mutex_);
  while (true) {
    auto batch = take_batch(lock);
    if (batch.empty()) {
      if (stopping_) return;
      continue;
    }
    const bool more = !queue_.empty();
    lock.unlock();
    if (more) wake_.notify_one();  // another idle instance can take the rest
    run_batch(backend, batch);
    lock.lock();
  }
}

void ModelScheduler::run_batch(Backend& backend, std::vector<Pending>& batch) {
  const MonoTime start = now();
  // Drop what expired or was cancelled while queued.
  std::vector<Pending> live;
  live.reserve(batch.size());
  for (auto& p : batch) {
    if (p.request.cancelled && p.request.cancelled->load()) {
      p.request.done(cancelled("the client went away"));
    } else if (start >= p.request.deadline) {
      p.request.done(timeout_error("model " + model_ + ": timed out after " +
                                   std::to_string(static_cast<int>(
                                       seconds_between(p.enqueued, start) * 1000)) +
                                   " ms in the queue"));
    } else {
      live.push_back(std::move(p));
    }
  }
  if (live.empty()) return;

  std::size_t total_rows = 0;
  for (const auto& p : live) total_rows += p.request.rows;

  std::vector<Tensor> inputs;
  if (live.size() == 1) {
    inputs = std::move(live[0].request.inputs);
  } else {
    // Concatenate every input along the batch dimension.
    inputs.resize(live[0].request.inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& first = live[0].request.inputs[i];
      inputs[i].name = first.name;
      inputs[i].datatype = first.datatype;
      inputs[i].shape = first.shape;
      inputs[i].shape[0] = static_cast<std::int64_t>(total_rows);
      inputs[i].data.reserve(element_count(inputs[i].shape));
      for (const auto& p : live) {
        const auto& data = p.request.inputs[i].data;
        inputs[i].data.insert(inputs[i].data.end(), data.begin(), data.end());
      }
    }
  }
  auto result = backend.run(inputs);
  const MonoTime end = now();
  const double compute = seconds_between(start, end);
  if (!result.is_ok()) {
    for (auto& p : live) p.request.done(result.status());
    return;
  }
  auto& outputs = *result;
  if (live.size() == 1) {
    InferOutcome outcome{std::move(outputs), seconds_between(live[0].enqueued, start), compute,
                         total_rows};
    live[0].request.done(std::move(outcome));
    return;
  }
  // Split every output along the batch dimension.
  std::size_t row = 0;
  for (auto& p : live) {
    InferOutcome outcome;
    outcome.queue_seconds = seconds_between(p.enqueued, start);
    outcome.compute_seconds = compute;
    outcome.batch_size = total_rows;
    bool ok = true;
    for (const auto& out : outputs) {
      if (out.shape.empty() || out.shape[0] != static_cast<std::int64_t>(total_rows)) {
        ok = false;
        break;
      }
      const std::size_t per_row = out.data.size() / total_rows;
      Tensor part;
      part.name = out.name;
      part.datatype = out.datatype;
      part.shape = out.shape;
      part.shape[0] = static_cast<std::int64_t>(p.request.rows);
      part.data.assign(out.data.begin() + static_cast<std::ptrdiff_t>(row * per_row),
                       out.data.begin() +
                           static_cast<std::ptrdiff_t>((row + p.request.rows) * per_row));
      outcome.outputs.push_back(std::move(part));
    }
    row += p.request.rows;
    if (!ok) {
      p.request.done(internal_error("model " + model_ +
                                    ": an output has no batch dimension; cannot split the batch"));
    } else {
      p.request.done(std::move(outcome));
    }
  }
}

}  // namespace synod::inference
