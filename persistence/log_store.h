// LogStore: the replicated log of one node (Raft §5.3).
//
// Appending is not durability. append() hands entries to the store (they are
// readable at once); sync() makes everything appended so far durable, and
// durable_index() reports how far durability has reached. The node therefore
// appends many batches and syncs once (group commit), and a leader sends
// AppendEntries to followers while its own sync runs (Raft §10.2.1 in Ongaro's
// thesis: the leader may write its log in parallel with replication).
//
// Indexes: the log holds entries [first_index(), last_index()]. An empty,
// never-compacted log has first_index() == 1 and last_index() == 0. After
// compact_prefix(i) or reset(i, t), first_index() == i + 1 and the store still
// answers term_at(i) (the "previous" position a snapshot covers), so the node
// can fill prevLogTerm of the next AppendEntries.
//
// Threading: every method is thread-safe. Mutators (append, truncate_suffix,
// compact_prefix, reset) must come from one writer at a time (the node's
// storage thread); sync() may run on another thread concurrently with append()
// (it then covers at least what was appended before sync() was called);
// readers (read, term_at, first/last/durable_index) may run on any thread at
// any time. A backend may serialise internally; the file backend lets readers
// proceed while sync() waits for the disk.
//
// Failure: once a write or sync has failed, the store refuses further
// mutations with the same error (a failed fsync is never retried: the page
// cache state is unknown; DESIGN.md "Errors"). Corruption found while opening
// is reported by open_backend() and the node must stop.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/ids.h"
#include "common/raft_types.h"
#include "common/status.h"

namespace synod::persistence {

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Appends a batch. entries must be contiguous and entries[0].index must be
  // last_index() + 1 (InvalidArgument otherwise; an empty batch is a no-op).
  // Readable on return, not durable. To overwrite a conflicting suffix call
  // truncate_suffix() first.
  virtual Status append(std::span<const Entry> entries) = 0;

  // Makes every entry appended before the call durable, then advances
  // durable_index(). Blocks for the disk (or the server round trip).
  virtual Status sync() = 0;

  // The highest index known durable; never above last_index(). Lowered by
  // truncate_suffix(). Cheap (an atomic load).
  [[nodiscard]] virtual LogIndex durable_index() const = 0;

  [[nodiscard]] virtual LogIndex first_index() const = 0;
  [[nodiscard]] virtual LogIndex last_index() const = 0;

  // The term of the entry at index, for index in [first_index() - 1,
  // last_index()]; at first_index() - 1 it is the compaction boundary's term
  // (Term 0 for a never-compacted log). OutOfRange outside that range.
  [[nodiscard]] virtual Result<Term> term_at(LogIndex index) const = 0;

  // Entries [lo, hi) in order. lo must be >= first_index() and hi <=
  // last_index() + 1 (OutOfRange otherwise, e.g. when lo was compacted away);
  // lo == hi yields an empty vector. If max_bytes > 0 the result stops before
  // the entry that would push the sum of Entry::byte_size() past max_bytes,
  // but always holds at least one entry when the range is non-empty.
  [[nodiscard]] virtual Result<std::vector<Entry>> read(LogIndex lo, LogIndex hi,
                                                        std::uint64_t max_bytes = 0) const = 0;

  // Removes entries with index >= from (a conflict found by AppendEntries,
  // Raft §5.3). from must be in [first_index(), last_index() + 1]. Durable on
  // return: a crash afterwards never resurrects the removed entries.
  // durable_index() drops to at most from - 1.
  virtual Status truncate_suffix(LogIndex from) = 0;

  // Discards entries with index <= upto after a snapshot covering them (Raft
  // §7). upto must be in [first_index() - 1, last_index()]; the store may keep
  // some of them longer (e.g. until a whole segment is covered) but
  // first_index() reports what is still readable. Need not be durable: after a
  // crash, compacted entries may reappear, which is harmless.
  virtual Status compact_prefix(LogIndex upto) = 0;

  // Discards the whole log and restarts it after (index, term), as when a
  // follower installs a snapshot that is ahead of its log. Afterwards
  // first_index() == index + 1, last_index() == durable_index() == index and
  // term_at(index) == term. Durable on return.
  virtual Status reset(LogIndex index, Term term) = 0;
};

}  // namespace synod::persistence
