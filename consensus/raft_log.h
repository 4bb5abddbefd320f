// RaftLog: the core's view of the replicated log (internal to consensus/).
//
// Entries come from two places: the Storage (durable, written by the node)
// and the unstable tail kept here (appended by the core but not yet reported
// durable through on_persisted). Reads prefer the unstable tail, which may
// shadow a stored suffix that a follower is about to overwrite (§5.3).
// A snapshot received from the leader is also "unstable" until persisted.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "consensus/storage.h"
#include "consensus/types.h"

namespace synod::consensus {

class RaftLog {
 public:
  explicit RaftLog(const Storage& storage);

  [[nodiscard]] LogIndex first_index() const;
  [[nodiscard]] LogIndex last_index() const;
  [[nodiscard]] Term last_term() const;
  // Term at index, or nullopt if compacted or past the end. Index 0 has term 0.
  [[nodiscard]] std::optional<Term> term(LogIndex index) const;
  [[nodiscard]] bool matches(LogIndex index, Term term) const;
  // §5.4.1: is a log ending at (last_index, last_term) at least as
  // up-to-date as ours?
  [[nodiscard]] bool is_up_to_date(LogIndex last_index, Term last_term) const;

  // Entries in [lo, hi) up to max_bytes (at least one). kOutOfRange when lo
  // is compacted (the caller sends a snapshot instead).
  [[nodiscard]] Result<std::vector<Entry>> slice(LogIndex lo, LogIndex hi,
                                                 std::uint64_t max_bytes) const;

  // Appends entries that follow the last one (leader), moving them in.
  void append(std::vector<Entry>&& entries);
  void append(Entry&& entry);
  // Follower path (§5.3): skips entries already present with the same term,
  // truncates at the first conflict and appends the rest. Returns the index
  // of the first entry that was truncated away (kNoIndex if none).
  LogIndex merge(std::vector<Entry>&& entries);

  // Hands out the unstable entries not handed out before (for Ready).
  [[nodiscard]] bool has_entries_to_hand_out() const { return unstable_handed_ < unstable_.size(); }
  std::vector<Entry> hand_out_entries();
  // The log is durable up to (index, term): forget that unstable prefix.
  // Returns true if it was accepted (the entry still has that term).
  bool stable_to(LogIndex index, Term term);
  [[nodiscard]] LogIndex stable_index() const { return stable_; }

  // Snapshot from the leader: replaces the log (§7). The log keeps only the
  // snapshot position until the node persists it.
  void restore(Snapshot snapshot);
  [[nodiscard]] bool has_snapshot_to_hand_out() const {
    return pending_snapshot_.has_value() && !snapshot_handed_;
  }
  Snapshot hand_out_snapshot();
  void snapshot_stable(LogIndex index);
  [[nodiscard]] std::optional<LogIndex> pending_snapshot_index() const;

  [[nodiscard]] LogIndex committed() const { return committed_; }
  void commit_to(LogIndex index);  // never moves backwards, never past last_index
  [[nodiscard]] LogIndex applied() const { return applied_; }
  void set_applied(LogIndex index) { applied_ = index; }
  [[nodiscard]] bool has_committed_to_hand_out() const { return committed_ > applied_; }
  // Committed entries after applied(), up to max_bytes; advances applied().
  std::vector<Entry> hand_out_committed(std::uint64_t max_bytes);

  // For conflict hints (§5.3 optimisation): the largest index <= index whose
  // term is <= term, with that term (etcd's findConflictByTerm).
  [[nodiscard]] std::pair<LogIndex, Term> find_conflict_by_term(LogIndex index, Term term) const;

 private:
  [[nodiscard]] LogIndex unstable_end() const { return unstable_offset_ + unstable_.size(); }
  void truncate_unstable_from(LogIndex index);

  const Storage& storage_;
  std::deque<Entry> unstable_;  // unstable_[i].index == unstable_offset_ + i
  LogIndex unstable_offset_;    // index of unstable_[0] (or where it would be)
  std::size_t unstable_handed_ = 0;
  std::optional<Snapshot> pending_snapshot_;
  bool snapshot_handed_ = false;
  LogIndex stable_;  // last index known durable (counted for the leader's own match)
  LogIndex committed_;
  LogIndex applied_;
};

}  // namespace synod::consensus
