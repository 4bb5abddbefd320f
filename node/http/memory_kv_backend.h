// MemoryKvBackend: a KvBackend over an in-process map, with Consul's KV
// semantics (CAS, locks by session, tombstone indexes, atomic txns). It is
// the reference the Raft-backed implementation is checked against, and the
// fake HTTP tests use. Not replicated, not durable.
//
// Thread-safe (one mutex). Callbacks run synchronously on the caller's
// thread. Every applied change bumps the index by one and notifies `hub`
// (if given) through notify_kv_change().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "node/http/kv_backend.h"
#include "node/http/watch_hub.h"

namespace synod::node::http {

class MemoryKvBackend : public KvBackend {
 public:
  explicit MemoryKvBackend(WatchHub* hub = nullptr) : hub_(hub) {}

  void get(const std::string& key, const KvReadOptions& options,
           std::function<void(Result<KvReadResult>)> done) override;
  void put(KvPut request, std::function<void(Result<bool>)> done) override;
  void del(KvDelete request, std::function<void(Result<bool>)> done) override;
  void txn(std::vector<TxnOp> ops, Consistency read_consistency,
           std::function<void(Result<TxnResult>)> done) override;
  [[nodiscard]] LeaderView leader_view() const override { return {true, 0}; }

  // Sessions are valid unless invalidated here (tests of ?acquire).
  void invalidate_session(const std::string& session);
  // Makes every later call fail with `status` (OK to restore).
  void fail_with(Status status);
  [[nodiscard]] std::uint64_t index() const;

 private:
  struct State {
    std::map<std::string, KvEntry> entries;
    std::map<std::string, std::uint64_t> tombstones;  // key -> index of its delete
    std::uint64_t index = 0;
  };
  // One op applied to `state` at `index`; error text on failure (Consul's).
  std::optional<std::string> apply(State& state, const TxnOp& op, std::uint64_t index,
                                   std::size_t op_index, std::vector<TxnOpResult>* results,
                                   std::set<std::string>* changed) const;
  std::uint64_t read_index(const State& state, const std::string& key, bool recurse) const;
  void notify(const std::set<std::string>& changed, std::uint64_t index);

  WatchHub* hub_;
  mutable std::mutex mutex_;
  State state_;                          // GUARDED_BY(mutex_)
  std::set<std::string> dead_sessions_;  // GUARDED_BY(mutex_)
  Status failure_;                       // GUARDED_BY(mutex_)
};

}  // namespace synod::node::http
