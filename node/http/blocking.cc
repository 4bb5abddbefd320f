#include "node/http/blocking.h"

#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/random.h"

namespace synod::node::http {
namespace {

// One blocking request in progress. Callbacks arrive from the backend's
// thread (read results) and the hub's strand (wake-ups): `mutex` orders them.
class BlockingRun : public std::enable_shared_from_this<BlockingRun> {
 public:
  BlockingRun(WatchHub& hub, std::vector<std::string> resources, std::uint64_t min_index,
              MonoTime deadline, BlockingQuery query, Responder respond)
      : hub_(hub),
        resources_(std::move(resources)),
        min_index_(min_index),
        deadline_(deadline),
        query_(std::move(query)),
        respond_(std::move(respond)) {}

  // One read. With `park`, the watcher is registered first, so a change
  // that lands after the read still wakes us. The first read and the read
  // after a wake go without one: usually they answer, and only a reader
  // that must (re)park pays for the watcher and a second read.
  void attempt(bool park) {
    auto remaining = deadline_ - SystemClock::instance().now();
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      query_in_flight_ = true;
      woke_during_query_ = false;
      watching_ = park && remaining > Duration::zero();
      if (watching_) {
        auto self = shared_from_this();
        watch_id_ = hub_.watch(resources_, min_index_, remaining,
                               [self](WatchHub::WakeReason reason) { self->on_wake(reason); });
      }
    }
    query_([self = shared_from_this(), park](BlockingResult result) {
      self->on_result(std::move(result), park);
    });
  }

  // The client left: stop waiting and drop the reply.
  void abandon() {
    std::unique_lock lock(mutex_);
    if (done_) return;
    done_ = true;
    bool cancel = watching_;
    lock.unlock();
    if (cancel) hub_.cancel(watch_id_);
  }

 private:
  void on_result(BlockingResult result, bool parked) {
    std::unique_lock lock(mutex_);
    query_in_flight_ = false;
    if (done_) return;
    bool expired = SystemClock::instance().now() >= deadline_;
    if (result.final || result.index > min_index_ || expired || (parked && !watching_)) {
      done_ = true;
      bool cancel = watching_;
      lock.unlock();
      if (cancel) hub_.cancel(watch_id_);
      respond_(std::move(result.response));
      return;
    }
    if (!parked) {
      lock.unlock();
      return attempt(/*park=*/true);
    }
    if (woke_during_query_) {
      lock.unlock();
      return attempt(/*park=*/false);
    }
    // Otherwise stay parked until the watcher fires.
  }

  void on_wake(WatchHub::WakeReason reason) {
    if (reason == WatchHub::WakeReason::kCancelled) return;
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      if (query_in_flight_) {
        woke_during_query_ = true;
        return;
      }
    }
    attempt(/*park=*/false);  // on timeout the deadline has passed: that read is the answer
  }

  WatchHub& hub_;
  const std::vector<std::string> resources_;
  const std::uint64_t min_index_;
  const MonoTime deadline_;
  BlockingQuery query_;
  Responder respond_;

  std::mutex mutex_;
  bool done_ = false;               // GUARDED_BY(mutex_)
  bool query_in_flight_ = false;    // GUARDED_BY(mutex_)
  bool woke_during_query_ = false;  // GUARDED_BY(mutex_)
  bool watching_ = false;           // GUARDED_BY(mutex_)
  WatchHub::WatchId watch_id_ = 0;  // GUARDED_BY(mutex_)
};

}  // namespace

std::chrono::nanoseconds jittered_wait(std::chrono::nanoseconds wait) {
  thread_local SystemRandom random;
  auto bound = static_cast<std::uint64_t>(wait.count() / 16);
  return wait + std::chrono::nanoseconds(
                    bound > 0 ? static_cast<std::int64_t>(random.uniform(0, bound)) : 0);
}

void serve_blocking(WatchHub& hub, std::vector<std::string> resources, const QueryOptions& options,
                    BlockingQuery query, Responder respond,
                    const std::shared_ptr<ClientGone>& client_gone) {
  if (!options.blocking()) {
    query([respond = std::move(respond)](BlockingResult result) {
      respond(std::move(result.response));
    });
    return;
  }
  MonoTime deadline = SystemClock::instance().now() + jittered_wait(options.wait);
  auto run = std::make_shared<BlockingRun>(hub, std::move(resources), options.min_index, deadline,
                                           std::move(query), std::move(respond));
  if (client_gone) {
    client_gone->on_gone([weak = std::weak_ptr<BlockingRun>(run)] {
      if (auto r = weak.lock()) r->abandon();
    });
  }
  run->attempt(/*park=*/false);
}

}  // namespace synod::node::http
