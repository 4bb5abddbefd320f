#include "consensus/state/kv_store.h"

#include <algorithm>
#include <utility>

#include "consensus/state/command_codec.h"

namespace synod::consensus::state {
namespace {

constexpr std::string_view kIndexKind = "index";
constexpr std::string_view kTombstoneKind = "tombstone";
constexpr std::string_view kLockDelayKind = "lock_delay";

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out.push_back('"');
  return out;
}

// Visits every element of a key-sorted map whose key starts with prefix:
// one O(log n) seek, then only the matching range.
template <typename Map, typename Visit>
void for_each_under(const Map& map, std::string_view prefix, Visit visit) {
  for (auto it = map.lower_bound(prefix);
       it != map.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    visit(it->first, it->second);
  }
}

KvEntry without_value(KvEntry entry) {
  entry.value.clear();
  return entry;
}

Bytes encode_u64(std::uint64_t value) {
  Bytes out;
  put_u64(out, value);
  return out;
}

Result<std::uint64_t> decode_u64(std::string_view key, ByteView value) {
  ByteReader reader(value);
  auto number = reader.u64();
  if (!number || !reader.done()) {
    return corruption("meta record " + quoted(key) + ": expected 8 bytes, got " +
                      std::to_string(value.size()));
  }
  return *number;
}

StateRecord kv_record(const KvEntry& entry) {
  StateRecord record;
  record.key = entry.key;
  // Columns in persistence's kv schema order: flags, session, create_index,
  // modify_index, lock_index (docs/state-machine.md).
  record.columns.emplace_back(static_cast<std::int64_t>(entry.flags));
  if (entry.session.empty()) {
    record.columns.emplace_back(std::monostate{});
  } else {
    record.columns.emplace_back(entry.session);
  }
  record.columns.emplace_back(static_cast<std::int64_t>(entry.create_index));
  record.columns.emplace_back(static_cast<std::int64_t>(entry.modify_index));
  record.columns.emplace_back(static_cast<std::int64_t>(entry.lock_index));
  kv_entry_to_proto(entry).SerializeToString(&record.value);
  return record;
}

StateRecord number_record(std::string key, std::uint64_t value) {
  StateRecord record;
  record.key = std::move(key);
  record.value = encode_u64(value);
  return record;
}

// Consul's txn error text for a verb that returned false.
std::string refusal_message(const proto::KvOp& op) {
  const std::string key = quoted(op.key());
  switch (op.verb()) {
    case proto::KV_CAS:
      return "failed to set key " + key + ", index is stale";
    case proto::KV_DELETE_CAS:
      return "failed to delete key " + key + ", index is stale";
    case proto::KV_LOCK:
      return "failed to lock key " + key + ", lock is already held";
    case proto::KV_UNLOCK:
      return "failed to unlock key " + key + ", lock isn't held, or is held by another session";
    default:
      return "operation on key " + key + " failed";
  }
}

}  // namespace

std::string meta_key(std::string_view owner, std::string_view kind, std::string_view key) {
  std::string out(owner);
  out.push_back('/');
  out.append(kind);
  if (!key.empty()) {
    out.push_back('/');
    out.append(key);
  }
  return out;
}

struct KvStore::UndoStep {
  enum class Kind : std::uint8_t { kEntry, kTombstone, kLockDelay };
  Kind kind;
  std::string key;
  std::optional<KvEntry> entry;         // kEntry: the entry before
  std::optional<std::uint64_t> number;  // kTombstone / kLockDelay: the value before
};

struct KvStore::UndoLog {
  std::vector<UndoStep> steps;
  std::uint64_t table_index = 0;
};

KvStore::KvStore(const SessionChecker* sessions) : sessions_(sessions) {}

// ---------------------------------------------------------------- reads

const KvEntry* KvStore::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

KvGetResult KvStore::get(std::string_view key) const {
  KvGetResult result;
  result.entry = find(key);
  result.index = result.entry != nullptr ? result.entry->modify_index : table_index_;
  result.index = std::max<std::uint64_t>(result.index, 1);
  return result;
}

KvListResult KvStore::list(std::string_view prefix) const {
  KvListResult result;
  for_each_under(entries_, prefix, [&](const std::string&, const KvEntry& entry) {
    result.entries.push_back(&entry);
  });
  std::uint64_t index = prefix.empty() ? table_index_ : prefix_index(prefix);
  if (index == 0) index = table_index_;
  result.index = std::max<std::uint64_t>(index, 1);
  return result;
}

KvKeysResult KvStore::keys(std::string_view prefix, std::string_view separator) const {
  KvKeysResult result;
  for_each_under(entries_, prefix, [&](const std::string& key, const KvEntry&) {
    std::string_view folded = key;
    if (!separator.empty()) {
      const auto at = std::string_view(key).substr(prefix.size()).find(separator);
      if (at != std::string_view::npos) {
        folded = std::string_view(key).substr(0, prefix.size() + at + separator.size());
      }
    }
    // Sorted input: equal folded keys are adjacent.
    if (result.keys.empty() || result.keys.back() != folded) result.keys.emplace_back(folded);
  });
  std::uint64_t index = prefix.empty() ? table_index_ : prefix_index(prefix);
  if (index == 0) index = table_index_;
  result.index = std::max<std::uint64_t>(index, 1);
  return result;
}

std::uint64_t KvStore::key_index(std::string_view key) const {
  if (const KvEntry* entry = find(key)) return entry->modify_index;
  auto tombstone = tombstones_.find(key);
  return tombstone == tombstones_.end() ? 0 : tombstone->second;
}

std::uint64_t KvStore::prefix_index(std::string_view prefix) const {
  std::uint64_t index = 0;
  for_each_under(entries_, prefix, [&](const std::string&, const KvEntry& entry) {
    index = std::max(index, entry.modify_index);
  });
  for_each_under(tombstones_, prefix, [&](const std::string&, std::uint64_t deleted_at) {
    index = std::max(index, deleted_at);
  });
  return index;
}

std::optional<std::uint64_t> KvStore::lock_delay_until(std::string_view key) const {
  auto it = lock_delays_.find(key);
  if (it == lock_delays_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> KvStore::keys_held_by(std::string_view session) const {
  auto it = keys_by_session_.find(session);
  if (it == keys_by_session_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

// ---------------------------------------------------------------- writes

Result<bool> KvStore::apply_op(const proto::KvOp& op, const KvApplyContext& ctx) {
  if (!is_write_verb(op.verb())) {
    return invalid_argument("verb '" + std::string(kv_verb_name(op.verb())) +
                            "' is not a single write operation");
  }
  return run_write(op, ctx, nullptr);
}

Result<bool> KvStore::run_write(const proto::KvOp& op, const KvApplyContext& ctx,
                                std::vector<KvEntry>* results) {
  KvEntry written;
  Result<bool> outcome = false;
  switch (op.verb()) {
    case proto::KV_SET:
      outcome = set(op, /*cas=*/false, ctx, &written);
      break;
    case proto::KV_CAS:
      outcome = set(op, /*cas=*/true, ctx, &written);
      break;
    case proto::KV_LOCK:
      outcome = lock(op, ctx, &written);
      break;
    case proto::KV_UNLOCK:
      outcome = unlock(op, ctx, &written);
      break;
    case proto::KV_DELETE:
      if (find(op.key()) != nullptr) erase(op.key(), ctx);
      return true;
    case proto::KV_DELETE_CAS: {
      const KvEntry* existing = find(op.key());
      // Consul: deleting a missing key "succeeds" even with an index.
      if (existing == nullptr) return true;
      if (existing->modify_index != op.index()) return false;
      erase(op.key(), ctx);
      return true;
    }
    case proto::KV_DELETE_TREE: {
      std::vector<std::string> doomed;
      for_each_under(entries_, op.key(),
                     [&](const std::string& key, const KvEntry&) { doomed.push_back(key); });
      for (const auto& key : doomed) erase(key, ctx);
      return true;
    }
    default: {
      Status status = run_read(op, results);
      if (!status.is_ok()) return status;
      return true;
    }
  }
  if (outcome.is_ok() && *outcome && results != nullptr) {
    results->push_back(without_value(std::move(written)));
  }
  return outcome;
}

Status KvStore::run_read(const proto::KvOp& op, std::vector<KvEntry>* results) const {
  const std::string key = quoted(op.key());
  const KvEntry* entry = find(op.key());
  switch (op.verb()) {
    case proto::KV_GET:
      if (entry == nullptr) return not_found("key " + key + " doesn't exist");
      if (results != nullptr) results->push_back(*entry);
      return Status::ok();
    case proto::KV_GET_TREE:
      for_each_under(entries_, op.key(), [&](const std::string&, const KvEntry& found) {
        if (results != nullptr) results->push_back(found);
      });
      return Status::ok();
    case proto::KV_CHECK_INDEX:
      if (entry == nullptr) {
        return failed_precondition("failed index check for key " + key + ", key doesn't exist");
      }
      if (entry->modify_index != op.index()) {
        return failed_precondition("failed index check for key " + key + ", current modify index " +
                                   std::to_string(entry->modify_index) +
                                   " != " + std::to_string(op.index()));
      }
      break;
    case proto::KV_CHECK_SESSION:
      if (entry == nullptr) {
        return failed_precondition("failed session check for key " + key + ", key doesn't exist");
      }
      if (entry->session != op.session()) {
        return failed_precondition("failed session check for key " + key + ", current session " +
                                   quoted(entry->session) + " != " + quoted(op.session()));
      }
      break;
    case proto::KV_CHECK_NOT_EXISTS:
      if (entry != nullptr) return failed_precondition("key " + key + " exists");
      return Status::ok();
    default:
      return invalid_argument("verb '" + std::string(kv_verb_name(op.verb())) +
                              "' needs a write through the log");
  }
  if (results != nullptr) results->push_back(without_value(*entry));
  return Status::ok();
}

Result<bool> KvStore::set(const proto::KvOp& op, bool cas, const KvApplyContext& ctx,
                          KvEntry* written) {
  const KvEntry* existing = find(op.key());
  // CAS: index 0 means create-only; otherwise the key must exist at that
  // ModifyIndex.
  if (cas && (existing == nullptr ? op.index() != 0 : existing->modify_index != op.index())) {
    return false;
  }
  KvEntry next;
  next.key = op.key();
  next.value = op.value();
  next.flags = op.flags();
  next.create_index = ctx.index;
  if (existing != nullptr) {
    // A plain write keeps the lock (holder and count), as Consul's set.
    next.session = existing->session;
    next.lock_index = existing->lock_index;
    next.create_index = existing->create_index;
  }
  next.modify_index = ctx.index;
  *written = next;
  store_entry(op.key(), std::move(next));
  ctx.changes->mark(RecordTable::kKv, op.key());
  touch_table(ctx);
  return true;
}

Result<bool> KvStore::lock(const proto::KvOp& op, const KvApplyContext& ctx, KvEntry* written) {
  if (sessions_ == nullptr || !sessions_->is_valid(op.session())) {
    return failed_precondition("invalid session " + quoted(op.session()));
  }
  // Lock-delay (set when a holder's session was invalidated) blocks every
  // acquirer until it passes, judged by the leader-stamped command time.
  auto delay = lock_delays_.find(op.key());
  if (delay != lock_delays_.end() && ctx.now_ms < delay->second) return false;

  const KvEntry* existing = find(op.key());
  KvEntry next;
  next.key = op.key();
  next.value = op.value();
  next.flags = op.flags();
  next.session = op.session();
  next.create_index = ctx.index;
  next.lock_index = 1;
  if (existing != nullptr) {
    if (!existing->session.empty() && existing->session != op.session()) return false;
    next.create_index = existing->create_index;
    // The count only moves when the holder changes (re-acquire by the holder
    // keeps it).
    next.lock_index = existing->lock_index + (existing->session.empty() ? 1 : 0);
  }
  next.modify_index = ctx.index;
  *written = next;
  store_entry(op.key(), std::move(next));
  ctx.changes->mark(RecordTable::kKv, op.key());
  touch_table(ctx);
  return true;
}

Result<bool> KvStore::unlock(const proto::KvOp& op, const KvApplyContext& ctx, KvEntry* written) {
  const KvEntry* existing = find(op.key());
  if (existing == nullptr || existing->session != op.session()) return false;
  KvEntry next = *existing;
  next.value = op.value();
  next.flags = op.flags();
  next.session.clear();
  next.modify_index = ctx.index;
  *written = next;
  store_entry(op.key(), std::move(next));
  ctx.changes->mark(RecordTable::kKv, op.key());
  touch_table(ctx);
  return true;
}

void KvStore::erase(std::string_view key, const KvApplyContext& ctx) {
  const std::string owned(key);  // `key` may point into the entry being erased
  store_entry(owned, std::nullopt);
  set_tombstone(owned, ctx.index, ctx);
  ctx.changes->mark(RecordTable::kKv, owned);
  touch_table(ctx);
}

TxnOutcome KvStore::apply_txn(const google::protobuf::RepeatedPtrField<proto::KvOp>& ops,
                              const KvApplyContext& ctx) {
  TxnOutcome outcome;
  UndoLog undo;
  undo.table_index = table_index_;
  ChangeSet txn_changes;  // merged only on commit: a rolled-back txn changes nothing
  KvApplyContext txn_ctx = ctx;
  txn_ctx.changes = &txn_changes;
  undo_ = &undo;
  for (int i = 0; i < ops.size(); ++i) {
    Result<bool> done = run_write(ops[i], txn_ctx, &outcome.results);
    if (!done.is_ok()) {
      outcome.errors.push_back({static_cast<std::size_t>(i), done.status().message()});
    } else if (!*done) {
      outcome.errors.push_back({static_cast<std::size_t>(i), refusal_message(ops[i])});
    }
  }
  undo_ = nullptr;
  if (!outcome.committed()) {
    rollback(undo);
    outcome.results.clear();
    return outcome;
  }
  ctx.changes->merge(txn_changes);
  return outcome;
}

TxnOutcome KvStore::read_txn(const google::protobuf::RepeatedPtrField<proto::KvOp>& ops) const {
  TxnOutcome outcome;
  for (int i = 0; i < ops.size(); ++i) {
    Status status = run_read(ops[i], &outcome.results);
    if (!status.is_ok()) outcome.errors.push_back({static_cast<std::size_t>(i), status.message()});
  }
  if (!outcome.committed()) outcome.results.clear();
  return outcome;
}

void KvStore::invalidate_session(std::string_view session, SessionBehavior behavior,
                                 std::uint64_t lock_delay_ms, const KvApplyContext& ctx) {
  for (const std::string& key : keys_held_by(session)) {
    if (lock_delay_ms > 0) set_lock_delay(key, ctx.now_ms + lock_delay_ms, ctx);
    if (behavior == SessionBehavior::kDelete) {
      erase(key, ctx);
      continue;
    }
    KvEntry next = *find(key);
    next.session.clear();
    next.modify_index = ctx.index;
    store_entry(key, std::move(next));
    ctx.changes->mark(RecordTable::kKv, key);
    touch_table(ctx);
  }
}

void KvStore::reap(std::uint64_t up_to_index, const KvApplyContext& ctx) {
  std::vector<std::string> reaped;
  for (const auto& [key, deleted_at] : tombstones_) {
    if (deleted_at <= up_to_index) reaped.push_back(key);
  }
  for (const auto& key : reaped) set_tombstone(key, std::nullopt, ctx);
  std::vector<std::string> expired;
  for (const auto& [key, until] : lock_delays_) {
    if (until <= ctx.now_ms) expired.push_back(key);
  }
  for (const auto& key : expired) set_lock_delay(key, std::nullopt, ctx);
}

// ------------------------------------------------------- low-level mutators

void KvStore::store_entry(std::string_view key, std::optional<KvEntry> next) {
  auto it = entries_.find(key);
  if (undo_ != nullptr) {
    undo_->steps.push_back({UndoStep::Kind::kEntry, std::string(key),
                            it == entries_.end() ? std::nullopt : std::optional(it->second),
                            std::nullopt});
  }
  if (it != entries_.end() && !it->second.session.empty()) {
    auto held = keys_by_session_.find(it->second.session);
    if (held != keys_by_session_.end()) {
      auto slot = held->second.find(key);
      if (slot != held->second.end()) held->second.erase(slot);
      if (held->second.empty()) keys_by_session_.erase(held);
    }
  }
  if (!next) {
    if (it != entries_.end()) entries_.erase(it);
    return;
  }
  if (!next->session.empty()) keys_by_session_[next->session].emplace(key);
  if (it != entries_.end()) {
    it->second = std::move(*next);
  } else {
    entries_.emplace(std::string(key), std::move(*next));
  }
}

void KvStore::store_number(std::map<std::string, std::uint64_t, std::less<>>& map,
                           bool is_tombstone, std::string_view key,
                           std::optional<std::uint64_t> next) {
  auto it = map.find(key);
  if (undo_ != nullptr) {
    undo_->steps.push_back({is_tombstone ? UndoStep::Kind::kTombstone : UndoStep::Kind::kLockDelay,
                            std::string(key), std::nullopt,
                            it == map.end() ? std::nullopt : std::optional(it->second)});
  }
  if (!next) {
    if (it != map.end()) map.erase(it);
  } else if (it != map.end()) {
    it->second = *next;
  } else {
    map.emplace(std::string(key), *next);
  }
}

void KvStore::set_tombstone(std::string_view key, std::optional<std::uint64_t> index,
                            const KvApplyContext& ctx) {
  store_number(tombstones_, /*is_tombstone=*/true, key, index);
  ctx.changes->mark(RecordTable::kMeta, meta_key(owner(), kTombstoneKind, key));
}

void KvStore::set_lock_delay(std::string_view key, std::optional<std::uint64_t> until_ms,
                             const KvApplyContext& ctx) {
  store_number(lock_delays_, /*is_tombstone=*/false, key, until_ms);
  ctx.changes->mark(RecordTable::kMeta, meta_key(owner(), kLockDelayKind, key));
}

void KvStore::touch_table(const KvApplyContext& ctx) {
  if (table_index_ == ctx.index) return;
  table_index_ = ctx.index;
  ctx.changes->mark(RecordTable::kMeta, meta_key(owner(), kIndexKind));
}

void KvStore::rollback(UndoLog& undo) {
  // Newest first, so every slot ends at its value from before the txn.
  for (auto step = undo.steps.rbegin(); step != undo.steps.rend(); ++step) {
    switch (step->kind) {
      case UndoStep::Kind::kEntry:
        store_entry(step->key, std::move(step->entry));
        break;
      case UndoStep::Kind::kTombstone:
        store_number(tombstones_, true, step->key, step->number);
        break;
      case UndoStep::Kind::kLockDelay:
        store_number(lock_delays_, false, step->key, step->number);
        break;
    }
  }
  table_index_ = undo.table_index;
}

// ---------------------------------------------------------------- records

void KvStore::emit_records(const RecordSink& sink) const {
  for (const auto& [key, entry] : entries_) sink(RecordTable::kKv, kv_record(entry));
  // Meta keys in ascending order: index < lock_delay/... < tombstone/...
  sink(RecordTable::kMeta, number_record(meta_key(owner(), kIndexKind), table_index_));
  for (const auto& [key, until] : lock_delays_) {
    sink(RecordTable::kMeta, number_record(meta_key(owner(), kLockDelayKind, key), until));
  }
  for (const auto& [key, deleted_at] : tombstones_) {
    sink(RecordTable::kMeta, number_record(meta_key(owner(), kTombstoneKind, key), deleted_at));
  }
}

void KvStore::records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const {
  for (const auto& key : changes.keys(RecordTable::kKv)) {
    RecordChange change{RecordTable::kKv, key, std::nullopt};
    if (const KvEntry* entry = find(key)) change.record = kv_record(*entry);
    out.push_back(std::move(change));
  }
  const std::string index_key = meta_key(owner(), kIndexKind);
  const std::string tombstone_prefix = meta_key(owner(), kTombstoneKind) + "/";
  const std::string lock_delay_prefix = meta_key(owner(), kLockDelayKind) + "/";
  for (const auto& key : changes.keys(RecordTable::kMeta)) {
    RecordChange change{RecordTable::kMeta, key, std::nullopt};
    const std::map<std::string, std::uint64_t, std::less<>>* map = nullptr;
    std::string_view inner;
    if (key == index_key) {
      change.record = number_record(key, table_index_);
    } else if (key.starts_with(tombstone_prefix)) {
      map = &tombstones_;
      inner = std::string_view(key).substr(tombstone_prefix.size());
    } else if (key.starts_with(lock_delay_prefix)) {
      map = &lock_delays_;
      inner = std::string_view(key).substr(lock_delay_prefix.size());
    } else {
      continue;  // another table's meta record
    }
    if (map != nullptr) {
      auto it = map->find(inner);
      if (it != map->end()) change.record = number_record(key, it->second);
    }
    out.push_back(std::move(change));
  }
}

Status KvStore::load_record(RecordTable table, std::string_view key, ByteView value) {
  if (table == RecordTable::kKv) {
    proto::KvEntryRecord record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return corruption("kv record " + quoted(key) + ": malformed value");
    }
    if (record.key() != key) {
      return corruption("kv record " + quoted(key) + ": value names key " + quoted(record.key()));
    }
    if (key.empty()) return corruption("kv record with an empty key");
    if (find(key) != nullptr) return corruption("kv record " + quoted(key) + ": duplicate");
    store_entry(key, kv_entry_from_proto(record));
    return Status::ok();
  }
  if (table != RecordTable::kMeta) {
    return corruption("kv table given a " + std::string(record_table_name(table)) + " record");
  }
  SYNOD_ASSIGN_OR_RETURN(const std::uint64_t number, decode_u64(key, value));
  const std::string tombstone_prefix = meta_key(owner(), kTombstoneKind) + "/";
  const std::string lock_delay_prefix = meta_key(owner(), kLockDelayKind) + "/";
  if (key == meta_key(owner(), kIndexKind)) {
    table_index_ = number;
  } else if (key.starts_with(tombstone_prefix) && key.size() > tombstone_prefix.size()) {
    if (!tombstones_.emplace(std::string(key.substr(tombstone_prefix.size())), number).second) {
      return corruption("meta record " + quoted(key) + ": duplicate");
    }
  } else if (key.starts_with(lock_delay_prefix) && key.size() > lock_delay_prefix.size()) {
    if (!lock_delays_.emplace(std::string(key.substr(lock_delay_prefix.size())), number).second) {
      return corruption("meta record " + quoted(key) + ": duplicate");
    }
  } else {
    return corruption("unknown kv meta record " + quoted(key));
  }
  return Status::ok();
}

void KvStore::clear() {
  entries_.clear();
  tombstones_.clear();
  lock_delays_.clear();
  keys_by_session_.clear();
  table_index_ = 0;
  undo_ = nullptr;
}

}  // namespace synod::consensus::state
