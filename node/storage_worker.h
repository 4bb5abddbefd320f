// StorageWorker: the node's storage thread. The event loop hands it what a
// Raft Ready must make durable; it writes, syncs ONCE for everything queued
// (group commit, like LevelDB's writer queue), and reports back to the loop.
// The loop never waits on a disk.
//
// Ordering: jobs complete in the order they were queued, so Readys are
// acknowledged in order (the Ready contract in consensus/raft.h).
//
// Failure: any storage error is fatal. The worker logs it and stops the
// process (fail-stop; a failed fsync is never retried, DESIGN.md "Errors").
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/raft_types.h"
#include "common/status.h"
#include "consensus/types.h"
#include "persistence/backend.h"

namespace synod::node {

// What one Ready needs made durable (step 2 of the Ready contract).
struct PersistJob {
  std::optional<consensus::Snapshot> snapshot;  // received from the leader
  std::vector<Entry> entries;
  std::optional<HardState> hard_state;
  std::string configuration;  // the encoded cluster config to keep with it
  std::function<void()> done;  // runs on the worker thread; must post to the loop
};

// A snapshot of the local state machine; the log before it is compacted.
struct LocalSnapshotJob {
  consensus::Snapshot snapshot;
  LogIndex compact_upto;
};

class StorageWorker {
 public:
  // `backend` must outlive the worker.
  explicit StorageWorker(persistence::StorageBackend& backend);
  ~StorageWorker();  // drains the queue, then joins
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  void persist(PersistJob job);
  // Applied-state batches are merged and written at most every 100 ms (they
  // only shorten replay after a restart; the log is the source of truth).
  void save_applied(persistence::AppliedBatch batch);
  void save_snapshot(LocalSnapshotJob job);

  // Persists synchronously on the calling thread (start-up, before the
  // worker has anything queued).
  static Status write_persist_job(persistence::StorageBackend& backend, const PersistJob& job,
                                  bool sync);
  static Status write_snapshot(persistence::StorageBackend& backend,
                               const consensus::Snapshot& snapshot);

 private:
  void run();
  [[noreturn]] static void fail_stop(const Status& status, const char* what);

  persistence::StorageBackend& backend_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                        // GUARDED_BY(mutex_)
  std::deque<PersistJob> persist_;               // GUARDED_BY(mutex_)
  std::vector<persistence::AppliedBatch> applied_;  // GUARDED_BY(mutex_)
  std::deque<LocalSnapshotJob> snapshots_;       // GUARDED_BY(mutex_)
  std::optional<persistence::StableState> last_stable_;  // worker thread only
  std::thread thread_;
};

}  // namespace synod::node
