// Storage: the Raft core's read-only view of what the node has persisted
// (etcd-raft's raft.Storage). The core keeps the not-yet-durable tail of the
// log in memory and reads everything older through this interface; the node
// (or the simulator) writes to its storage while handling a Ready, and only
// then tells the core through Raft::advance()/on_persisted().
//
// Threading: the core calls these from its own (single) thread; an
// implementation shared with a storage thread must synchronise itself.
#pragma once

#include <cstdint>
#include <vector>

#include "common/raft_types.h"
#include "common/status.h"
#include "consensus/types.h"

namespace synod::consensus {

class Storage {
 public:
  virtual ~Storage() = default;

  // The hard state persisted last (zero for a brand new node).
  [[nodiscard]] virtual HardState hard_state() const = 0;
  // Metadata of the latest snapshot; index 0 when there is none. Its
  // configuration (decode_config) is the membership as of meta.index; the
  // core replays committed conf-change entries after it at start-up.
  [[nodiscard]] virtual SnapshotMeta snapshot_meta() const = 0;
  // The whole latest snapshot (the leader reads it to send InstallSnapshot).
  [[nodiscard]] virtual Result<Snapshot> snapshot() const = 0;

  // Entries in [lo, hi), stopping early once max_bytes (sum of
  // Entry::byte_size) is exceeded, but always at least one entry if lo < hi.
  // kOutOfRange if lo < first_index() (compacted) or hi > last_index() + 1.
  [[nodiscard]] virtual Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                                           std::uint64_t max_bytes) const = 0;
  // Term of the entry at index, valid for [first_index() - 1, last_index()]
  // (first_index() - 1 answers from the snapshot meta). kOutOfRange outside.
  [[nodiscard]] virtual Result<Term> term(LogIndex index) const = 0;
  // The first stored entry: snapshot_meta().index + 1, or earlier if the
  // storage keeps a few entries behind the snapshot so that slightly lagging
  // followers can still be served from the log. term(first_index() - 1) must
  // still answer.
  [[nodiscard]] virtual LogIndex first_index() const = 0;
  // Index of the last stored entry (== snapshot index when the log is empty).
  [[nodiscard]] virtual LogIndex last_index() const = 0;
};

}  // namespace synod::consensus
