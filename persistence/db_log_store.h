// DbLogStore: the LogStore logic shared by the database backends (sqlite,
// postgres, redis). A subclass only says how to write, read and delete rows.
//
// append() buffers the entries in memory, where they are readable at once;
// sync() hands everything buffered to db_write() as ONE transaction (group
// commit: many appends, one commit) and advances durable_index() when it
// commits. The terms of the log are kept in memory as runs (the first index
// of each term), so term_at() never waits for the database.
//
// Failures: a kUnavailable status from a db_* hook (connection lost, server
// down) is transient: the batch stays buffered and the next sync() writes it
// again; db_write() must therefore be idempotent (upsert, or delete-then-
// insert). Any other failure is sticky: the store refuses every later mutation
// with that error, as the LogStore contract says for a failed sync.
//
// Locking: db_mutex_ serialises the database connection (held for the whole
// of a commit); state_mutex_ guards the in-memory bounds and buffer and is
// never held across a database call. Order: db_mutex_ before state_mutex_.
// Readers of buffered entries and term_at() take only state_mutex_.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "persistence/backend_metrics.h"
#include "persistence/log_store.h"

namespace synod::persistence {

// What a backend found in its database at open.
struct StoredLogBounds {
  LogIndex base_index;                 // entries <= base were compacted away
  Term base_term;                      // term at base_index
  LogIndex last_index;                 // == base_index if the log is empty
  std::map<LogIndex, Term> term_runs;  // first index of each term's run of entries
};

class DbLogStore : public LogStore {
 public:
  explicit DbLogStore(std::string_view backend_name);

  Status append(std::span<const Entry> entries) override;
  Status sync() override;
  LogIndex durable_index() const override;
  LogIndex first_index() const override;
  LogIndex last_index() const override;
  Result<Term> term_at(LogIndex index) const override;
  Result<std::vector<Entry>> read(LogIndex lo, LogIndex hi, std::uint64_t max_bytes) const override;
  Status truncate_suffix(LogIndex from) override;
  Status compact_prefix(LogIndex upto) override;
  Status reset(LogIndex index, Term term) override;

 protected:
  // Call once after opening, before the store is used.
  void init_bounds(StoredLogBounds bounds);
  const std::map<LogIndex, Term>& term_runs_locked() const { return term_runs_; }

  // The hooks. Each is called with db_mutex_ held (so one at a time) and must
  // be atomic and durable on success.
  // Writes entries (contiguous; the first may overlap rows already stored,
  // which must be replaced). `runs` is the term-run map after the batch.
  virtual Status db_write(std::span<const Entry> entries, const std::map<LogIndex, Term>& runs) = 0;
  // Stored entries [lo, hi) in order, stopping early by the byte limit as
  // LogStore::read() describes.
  virtual Result<std::vector<Entry>> db_read(LogIndex lo, LogIndex hi,
                                             std::uint64_t max_bytes) const = 0;
  // Deletes stored entries with index >= from.
  virtual Status db_truncate(LogIndex from, const std::map<LogIndex, Term>& runs) = 0;
  // Deletes stored entries with index <= upto and records (upto, term) as the base.
  virtual Status db_compact(LogIndex upto, Term term, const std::map<LogIndex, Term>& runs) = 0;
  // Deletes every stored entry and records (index, term) as the base.
  virtual Status db_reset(LogIndex index, Term term) = 0;

  BackendMetrics metrics_;
  std::string metrics_name_;

 private:
  Term term_at_locked(LogIndex index) const;
  LogIndex last_locked() const { return last_index_; }
  LogIndex buffered_first_locked() const { return last_index_ - buffer_.size() + 1; }
  Status check_writable() const;
  Status record_failure(std::string_view op, Status status);

  mutable std::mutex db_mutex_;
  mutable std::mutex state_mutex_;
  LogIndex base_index_;                 // GUARDED_BY(state_mutex_)
  Term base_term_;                      // GUARDED_BY(state_mutex_)
  LogIndex last_index_;                 // GUARDED_BY(state_mutex_)
  std::deque<Entry> buffer_;            // GUARDED_BY(state_mutex_): the unsynced tail
  std::map<LogIndex, Term> term_runs_;  // GUARDED_BY(state_mutex_)
  // The highest index ever handed to db_write(): a write whose commit was in
  // doubt may have stored rows up to here, so truncation must reach the db.
  LogIndex written_high_water_;  // GUARDED_BY(db_mutex_)
  Status sticky_error_;          // GUARDED_BY(state_mutex_)
  std::atomic<std::uint64_t> durable_{0};
};

}  // namespace synod::persistence
