#include "node/http/watch_hub.h"

#include "common/metrics.h"

namespace synod::node::http {

struct WatchHub::Watcher {
  WatchId id;
  std::vector<std::string> resources;
  std::uint64_t min_index;
  Callback callback;
  std::unique_ptr<asio::steady_timer> timer;
  bool fired = false;
};

namespace {
metrics::Gauge& parked_gauge() {
  static metrics::Gauge& g = metrics::Registry::global().gauge(
      "synod_http_blocking_queries_parked", "Blocking queries waiting for a change or timeout");
  return g;
}
metrics::Counter& wake_counter(std::string_view reason) {
  return metrics::Registry::global().counter("synod_http_blocking_wakeups_total",
                                             "Blocking-query wake-ups by reason",
                                             {{"reason", std::string(reason)}});
}
}  // namespace

WatchHub::WatchHub(asio::io_context& io) : strand_(asio::make_strand(io)) {}

WatchHub::~WatchHub() {
  // The io_context no longer runs (see header): drop timers without callbacks.
  for (auto& [id, w] : watchers_) {
    if (w->timer) w->timer->cancel();
  }
  parked_gauge().add(-static_cast<double>(watchers_.size()));
}

WatchHub::WatchId WatchHub::watch(std::vector<std::string> resources, std::uint64_t min_index,
                                  std::chrono::nanoseconds timeout, Callback callback) {
  auto watcher = std::make_shared<Watcher>();
  watcher->id = next_id_.fetch_add(1);
  watcher->resources = std::move(resources);
  watcher->min_index = min_index;
  watcher->callback = std::move(callback);
  parked_.fetch_add(1);
  parked_gauge().add(1);
  WatchId id = watcher->id;
  asio::post(strand_, [this, watcher, timeout] {
    watcher->timer = std::make_unique<asio::steady_timer>(strand_, timeout);
    watchers_.emplace(watcher->id, watcher);
    for (const auto& r : watcher->resources) by_resource_[r].emplace(watcher->id, watcher);
    watcher->timer->async_wait([this, watcher](error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      fire(watcher, WakeReason::kTimeout);
    });
  });
  return id;
}

void WatchHub::cancel(WatchId id) {
  asio::post(strand_, [this, id] {
    auto it = watchers_.find(id);
    if (it == watchers_.end()) return;
    std::shared_ptr<Watcher> watcher = it->second;  // fire() erases the map's copy
    fire(watcher, WakeReason::kCancelled);
  });
}

void WatchHub::fire(const std::shared_ptr<Watcher>& watcher, WakeReason reason) {
  if (watcher->fired) return;
  watcher->fired = true;
  watchers_.erase(watcher->id);
  for (const auto& r : watcher->resources) {
    auto it = by_resource_.find(r);
    if (it == by_resource_.end()) continue;
    it->second.erase(watcher->id);
    if (it->second.empty()) by_resource_.erase(it);
  }
  if (watcher->timer) watcher->timer->cancel();
  parked_.fetch_sub(1);
  parked_gauge().add(-1);
  wake_counter(reason == WakeReason::kChanged   ? "changed"
               : reason == WakeReason::kTimeout ? "timeout"
                                                : "cancelled")
      .inc();
  Callback callback = std::move(watcher->callback);
  callback(reason);
}

void WatchHub::wake_resource(const std::string& resource, std::uint64_t index) {
  auto it = by_resource_.find(resource);
  if (it == by_resource_.end()) return;
  std::vector<std::shared_ptr<Watcher>> due;
  for (const auto& [id, w] : it->second) {
    if (index > w->min_index) due.push_back(w);
  }
  for (const auto& w : due) fire(w, WakeReason::kChanged);
}

void WatchHub::notify(std::string_view resource, std::uint64_t index) {
  asio::post(strand_,
             [this, resource = std::string(resource), index] { wake_resource(resource, index); });
}

void WatchHub::notify_prefixes(std::string_view family, std::string_view key, std::uint64_t index) {
  asio::post(strand_, [this, family = std::string(family), key = std::string(key), index] {
    if (by_resource_.empty()) return;
    std::string resource = family;
    resource.reserve(family.size() + key.size());
    wake_resource(resource, index);
    for (char c : key) {
      resource.push_back(c);
      wake_resource(resource, index);
    }
  });
}

void WatchHub::notify_all(std::uint64_t index) {
  asio::post(strand_, [this, index] {
    std::vector<std::shared_ptr<Watcher>> due;
    for (const auto& [id, w] : watchers_) {
      if (index > w->min_index) due.push_back(w);
    }
    for (const auto& w : due) fire(w, WakeReason::kChanged);
  });
}

}  // namespace synod::node::http
