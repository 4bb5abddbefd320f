// MemoryStorage: a Storage kept entirely in memory, for tests, the simulator
// and benchmarks. "Persisting" a Ready means calling the mutators below.
// Not thread-safe.
#pragma once

#include <deque>
#include <vector>

#include "consensus/storage.h"

namespace synod::consensus {

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;

  // Starts a brand-new cluster: a snapshot at index 1, term 1 holding
  // `config` and empty state-machine data, and hard state {term 1, commit 1}.
  // Every founding member bootstraps with the same config; a node that joins
  // later starts from an empty MemoryStorage and receives that snapshot (or a
  // newer one) from the leader, which is how it learns the membership.
  void bootstrap(const ClusterConfig& config);

  // --- Storage ---
  [[nodiscard]] HardState hard_state() const override { return hard_state_; }
  [[nodiscard]] SnapshotMeta snapshot_meta() const override { return snapshot_.meta; }
  [[nodiscard]] Result<Snapshot> snapshot() const override { return snapshot_; }
  [[nodiscard]] Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                                   std::uint64_t max_bytes) const override;
  [[nodiscard]] Result<Term> term(LogIndex index) const override;
  [[nodiscard]] LogIndex first_index() const override { return first_; }
  [[nodiscard]] LogIndex last_index() const override { return first_.prev() + entries_.size(); }

  // --- mutators (what handling a Ready does) ---
  void set_hard_state(const HardState& state) { hard_state_ = state; }
  // Appends entries, first discarding any stored suffix from
  // entries.front().index on (a follower overwriting a conflict, §5.3).
  // Entries at or below the snapshot index are skipped.
  Status append(std::vector<Entry> entries);
  // Replaces everything with a snapshot received from the leader; entries
  // after it that agree with it are kept (§7, "retain the entries following").
  Status apply_snapshot(Snapshot snapshot);
  // Records a snapshot of the local state machine taken at meta.index (which
  // must be stored), with the meta from Raft::snapshot_meta(index) and the
  // state machine's data; then discards the log up to that index (log
  // compaction, §7), keeping the last `keep_trailing` entries before it so a
  // follower slightly behind can still be caught up from the log.
  Status create_snapshot(const SnapshotMeta& meta, std::string data,
                         std::uint64_t keep_trailing = 0);
  // Discards trailing entries up to and including index (<= the snapshot
  // index).
  Status compact(LogIndex index);

  // Size of the stored log in entries (not counting the snapshot).
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  // Drops stored entries before `index` (index <= last_index() + 1).
  void discard_before(LogIndex index);

  HardState hard_state_;
  Snapshot snapshot_;
  std::deque<Entry> entries_;  // entries_[i].index == first_ + i
  LogIndex first_{1};          // <= snapshot index + 1 (trailing entries)
  Term before_first_term_;     // term of first_ - 1
};

}  // namespace synod::consensus
