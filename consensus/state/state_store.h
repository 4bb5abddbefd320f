// StateStore: the replicated state machine of synod (docs/state-machine.md).
//
// Owns every table (KV now; nodes, services, checks and sessions in issue 6),
// applies committed log entries by dispatching on the Command body, tracks
// which records each batch changed (for the applied-state store and for
// waking blocking queries), and snapshots/restores the whole state.
//
// Deterministic: the same entries in the same order give byte-identical
// snapshots and identical results on every node. Time comes only from the
// leader-stamped Command.leader_time_ms.
//
// Threading: not thread-safe. One owner (the node's apply path) calls every
// method; HTTP reads must run on that thread or under the owner's lock.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/raft_types.h"
#include "common/status.h"
#include "consensus/state/apply_result.h"
#include "consensus/state/catalog_table.h"
#include "consensus/state/change_set.h"
#include "consensus/state/dictionary_table.h"
#include "consensus/state/keyring_table.h"
#include "consensus/state/kv_store.h"
#include "consensus/state/session_table.h"
#include "consensus/state/snapshot_codec.h"
#include "consensus/state/state_record.h"

namespace synod::consensus::state {

// Called with the records an applied batch touched (kKv keys: the KV keys
// written or deleted). Runs on the apply thread; must not block.
using ChangeListener = std::function<void(const ChangeSet& changes)>;

struct BatchOutcome {
  std::vector<ApplyResult> results;  // one per entry, in order
  ChangeSet changes;
};

// Feeds records into a store being loaded (see StateStore::load_records).
using RecordFeed = std::function<Status(const SnapshotVisitor& add)>;

class StateStore {
 public:
  StateStore();
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // ---- Applying ----
  // Applies one committed entry. No-op and conf-change entries only advance
  // applied_index(). A command that fails to decode is refused in the result
  // (identically on every node) and changes nothing. An index at or below
  // applied_index() is refused with Internal and not applied.
  ApplyResult apply(const Entry& entry);
  // Applies entries in order, then hands the batch's changes to the listener.
  BatchOutcome apply_batch(std::span<const Entry> entries);
  // The changes accumulated since the last take (apply() callers batch
  // themselves with this).
  ChangeSet take_changes();
  // take_changes() and hand them to the listener; returns them too.
  ChangeSet publish_changes();
  void set_change_listener(ChangeListener listener) { listener_ = std::move(listener); }
  [[nodiscard]] LogIndex applied_index() const { return applied_index_; }

  // ---- Reading ----
  [[nodiscard]] const KvStore& kv() const;
  // Catalog (nodes, services, checks) and sessions (issue 6); the resource
  // names for their indexes are in registry_resources.h.
  [[nodiscard]] const CatalogTable& catalog() const;
  [[nodiscard]] const SessionTable& sessions() const;
  // The replicated cluster keyring (issue 8, docs/crypto.md).
  [[nodiscard]] const KeyringTable& keyring() const;
  // The shared zstd dictionary (issue 8, docs/compression.md).
  [[nodiscard]] const DictionaryTable& dictionary() const;

  // ---- Snapshots (snapshot_codec.h) ----
  [[nodiscard]] Bytes snapshot() const;
  // Replaces the whole state with a snapshot's. Damaged bytes: Corruption,
  // state unchanged. On success every key of the old and the new state is
  // marked changed (so watchers wake and records_for rewrites them).
  // `expected_index`, if given, must equal the snapshot's applied index.
  Status restore(ByteView data, std::optional<LogIndex> expected_index = std::nullopt);
  // The empty initial state at `applied_index` (e.g. a bootstrap snapshot).
  void reset(LogIndex applied_index);

  // ---- Applied-state records ----
  // The records to persist for `changes` (current values; call before the
  // next apply), with applied_index().
  [[nodiscard]] AppliedRecords records_for(const ChangeSet& changes) const;
  // Every record, replace_all = true (after a snapshot was installed).
  [[nodiscard]] AppliedRecords all_records() const;
  // Rebuilds the state from stored records: `feed` calls `add` once per
  // record. On error the state is left unchanged.
  Status load_records(LogIndex applied_index, const RecordFeed& feed);

 private:
  struct Tables;
  static std::unique_ptr<Tables> make_tables();
  static Status route_record(Tables& tables, RecordTable table, std::string_view key,
                             ByteView value);
  Status replace_tables(LogIndex applied_index, const RecordFeed& feed);
  void mark_all(const Tables& tables, ChangeSet& changes) const;

  std::unique_ptr<Tables> tables_;
  LogIndex applied_index_;
  ChangeSet pending_;
  ChangeListener listener_;
};

}  // namespace synod::consensus::state
