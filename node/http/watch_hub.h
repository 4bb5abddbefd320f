// WatchHub: where parked blocking queries wait for the resource they read to
// change, keyed by resource name.
//
// Resource names are plain strings chosen by the endpoints, e.g.
//   "kv:<key>"          one KV key
//   "kv-prefix:<p>"     every key starting with <p> (recurse / keys reads)
//   "service:<name>", "services", "nodes", "session:<id>", ...
// The state machine calls notify() after it applies a change, with the Raft
// index of the change; only the watchers of that resource wake. A key write
// also wakes prefix watchers through notify_prefixes().
//
// A watcher is woken at most once: by a notify() whose index is above the
// watcher's min_index, by its deadline, or by cancel(). The woken query then
// re-reads the resource (see blocking.h). Wake-ups may be spurious (the
// reader re-checks the index), never missed: a watcher registered before the
// read it guards sees every later notify().
//
// Scale: watchers are small records plus one steady_timer each on the hub's
// io_context; no threads. Tens of thousands of parked requests are fine.
//
// Threading: every public method is thread-safe. Callbacks run on the hub's
// strand over the io_context given to the constructor. Destroy the hub only
// after that io_context has stopped running (handlers capture the hub).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/asio.h"

namespace synod::node::http {

class WatchHub {
 public:
  enum class WakeReason { kChanged, kTimeout, kCancelled };
  using Callback = std::function<void(WakeReason)>;
  using WatchId = std::uint64_t;

  explicit WatchHub(asio::io_context& io);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Parks `callback` until one of `resources` is notified with an index >
  // `min_index`, or `timeout` passes (exactly: jitter is the caller's, see
  // blocking.h). Returns an id for cancel().
  WatchId watch(std::vector<std::string> resources, std::uint64_t min_index,
                std::chrono::nanoseconds timeout, Callback callback);

  // Wakes the watcher with kCancelled if it has not fired yet.
  void cancel(WatchId id);

  // `resource` changed at Raft index `index`.
  void notify(std::string_view resource, std::uint64_t index);
  // Wakes `family + p` for every prefix p of `key` ("" and `key` included):
  // notify_prefixes("kv-prefix:", "a/b") wakes kv-prefix:, kv-prefix:a,
  // kv-prefix:a/ and kv-prefix:a/b.
  void notify_prefixes(std::string_view family, std::string_view key, std::uint64_t index);
  // Wakes every watcher (e.g. on leadership loss, so readers re-check).
  void notify_all(std::uint64_t index);

  // Watchers currently parked (for metrics and tests; approximate while
  // posts are in flight).
  [[nodiscard]] std::size_t parked() const { return parked_.load(); }

 private:
  struct Watcher;
  void fire(const std::shared_ptr<Watcher>& watcher, WakeReason reason);
  void wake_resource(const std::string& resource, std::uint64_t index);

  asio::strand<asio::io_context::executor_type> strand_;
  std::atomic<WatchId> next_id_{1};
  std::atomic<std::size_t> parked_{0};
  // Touched on the strand only.
  std::unordered_map<WatchId, std::shared_ptr<Watcher>> watchers_;
  std::map<std::string, std::unordered_map<WatchId, std::shared_ptr<Watcher>>, std::less<>>
      by_resource_;
};

}  // namespace synod::node::http
