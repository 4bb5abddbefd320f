// KvStore: the replicated KV table with Consul's semantics (docs/state-machine.md).
//
// Deterministic: no clock, no randomness, ordered containers only. Writes take
// a KvApplyContext carrying the log index being applied (it becomes the
// ModifyIndex, like Consul's Raft index) and the leader-stamped time of the
// command (used only for lock-delay). Every write marks the records it touched
// in the context's ChangeSet.
//
// Indexes for blocking queries: each entry has its ModifyIndex; a deleted key
// leaves a tombstone holding the deletion index until the leader reaps it
// (KvReap, after the tombstone TTL), so the index of a prefix (max of live
// ModifyIndex and tombstone index under it) grows when a key under it is
// deleted; table_index() is the index of the last KV write of any kind.
//
// Threading: not thread-safe; the owner (StateStore, on the node's apply
// thread) serialises reads and writes. Pointers returned by reads stay valid
// until the next write.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/state/apply_result.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/kv_entry.h"
#include "consensus/state/session_checker.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

struct KvApplyContext {
  std::uint64_t index = 0;       // the log index being applied
  std::uint64_t now_ms = 0;      // Command.leader_time_ms
  ChangeSet* changes = nullptr;  // required: touched records are marked here
};

// What a session's invalidation does to the keys it holds (Consul's Behavior).
enum class SessionBehavior : std::uint8_t { kRelease, kDelete };

// Reads return Consul's X-Consul-Index for the query (never 0, as Consul).
struct KvGetResult {
  const KvEntry* entry = nullptr;  // null: no such key
  std::uint64_t index = 1;
};
struct KvListResult {
  std::vector<const KvEntry*> entries;  // ascending by key
  std::uint64_t index = 1;
};
struct KvKeysResult {
  std::vector<std::string> keys;  // ascending, folded at the separator
  std::uint64_t index = 1;
};

class KvStore final : public StateTable {
 public:
  // `sessions` answers acquire's session check; it must outlive the store.
  explicit KvStore(const SessionChecker* sessions);
  void set_session_checker(const SessionChecker* sessions) { sessions_ = sessions; }

  // ---- Reads (Consul's GET /v1/kv semantics and index rules) ----
  [[nodiscard]] const KvEntry* find(std::string_view key) const;
  // Index: the entry's ModifyIndex, or table_index() when the key is missing.
  [[nodiscard]] KvGetResult get(std::string_view key) const;
  // ?recurse. Index: prefix_index(prefix), or table_index() if that is 0 or
  // the prefix is empty.
  [[nodiscard]] KvListResult list(std::string_view prefix) const;
  // ?keys&separator=: keys under prefix; with a separator, everything after
  // the first separator following the prefix is folded ("a/b/c" -> "a/b/").
  [[nodiscard]] KvKeysResult keys(std::string_view prefix, std::string_view separator) const;

  // Raw indexes for the watch machinery.
  [[nodiscard]] std::uint64_t table_index() const { return table_index_; }
  // The entry's ModifyIndex, else its tombstone's index, else 0.
  [[nodiscard]] std::uint64_t key_index(std::string_view key) const;
  // Max ModifyIndex and tombstone index under prefix; 0 if none.
  [[nodiscard]] std::uint64_t prefix_index(std::string_view prefix) const;

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t tombstone_count() const { return tombstones_.size(); }
  [[nodiscard]] std::optional<std::uint64_t> lock_delay_until(std::string_view key) const;
  // Keys locked by `session`, ascending.
  [[nodiscard]] std::vector<std::string> keys_held_by(std::string_view session) const;

  // ---- Writes (the apply path; ops were validated by command_codec) ----
  // A single write verb. false: Consul's "false" (CAS mismatch, lock held,
  // lock-delay, not the holder). Error: the request itself is refused
  // (lock with an invalid session, read verb).
  Result<bool> apply_op(const proto::KvOp& op, const KvApplyContext& ctx);
  // All ops or none. Every op runs (later ops see earlier ones' effects) so
  // that every failing op is reported, as Consul does; on any error the
  // whole txn is rolled back.
  TxnOutcome apply_txn(const google::protobuf::RepeatedPtrField<proto::KvOp>& ops,
                       const KvApplyContext& ctx);
  // A txn of read verbs only (get, get-tree, check-*), served without the
  // log; a write verb is reported as an op error.
  [[nodiscard]] TxnOutcome read_txn(
      const google::protobuf::RepeatedPtrField<proto::KvOp>& ops) const;
  // Session invalidation (issue 6): release or delete every key `session`
  // holds and block re-acquisition until ctx.now_ms + lock_delay_ms.
  void invalidate_session(std::string_view session, SessionBehavior behavior,
                          std::uint64_t lock_delay_ms, const KvApplyContext& ctx);
  // Forgets tombstones with index <= up_to_index and lock-delays expired at
  // ctx.now_ms. Does not change table_index() (no KV data changes).
  void reap(std::uint64_t up_to_index, const KvApplyContext& ctx);

  // ---- StateTable ----
  [[nodiscard]] std::string_view owner() const override { return "kv"; }
  [[nodiscard]] bool owns(RecordTable table) const override { return table == RecordTable::kKv; }
  void emit_records(const RecordSink& sink) const override;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const override;
  Status load_record(RecordTable table, std::string_view key, ByteView value) override;
  void clear() override;

 private:
  struct UndoStep;
  struct UndoLog;

  // Verb implementations shared by single ops and txns. `result` (may be
  // null) receives the entry a txn reports for the op.
  Result<bool> run_write(const proto::KvOp& op, const KvApplyContext& ctx,
                         std::vector<KvEntry>* results);
  Status run_read(const proto::KvOp& op, std::vector<KvEntry>* results) const;
  Result<bool> set(const proto::KvOp& op, bool cas, const KvApplyContext& ctx, KvEntry* written);
  Result<bool> lock(const proto::KvOp& op, const KvApplyContext& ctx, KvEntry* written);
  Result<bool> unlock(const proto::KvOp& op, const KvApplyContext& ctx, KvEntry* written);
  void erase(std::string_view key, const KvApplyContext& ctx);

  // The only mutators of the maps; they keep the session index, the undo log
  // (inside a txn) and the change marks right.
  void store_entry(std::string_view key, std::optional<KvEntry> next);
  void store_number(std::map<std::string, std::uint64_t, std::less<>>& map, bool is_tombstone,
                    std::string_view key, std::optional<std::uint64_t> next);
  void set_tombstone(std::string_view key, std::optional<std::uint64_t> index,
                     const KvApplyContext& ctx);
  void set_lock_delay(std::string_view key, std::optional<std::uint64_t> until_ms,
                      const KvApplyContext& ctx);
  void touch_table(const KvApplyContext& ctx);
  void rollback(UndoLog& undo);

  const SessionChecker* sessions_;
  std::map<std::string, KvEntry, std::less<>> entries_;
  std::map<std::string, std::uint64_t, std::less<>> tombstones_;   // key -> deletion index
  std::map<std::string, std::uint64_t, std::less<>> lock_delays_;  // key -> until (ms)
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> keys_by_session_;
  std::uint64_t table_index_ = 0;
  UndoLog* undo_ = nullptr;  // set while a txn runs
};

}  // namespace synod::consensus::state
