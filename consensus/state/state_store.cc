#include "consensus/state/state_store.h"

#include <utility>

#include "common/metrics.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/registry_apply.h"
#include "consensus/state/registry_codec.h"

namespace synod::consensus::state {
namespace {

metrics::Counter& applied_counter(std::string_view type) {
  return metrics::Registry::global().counter("synod_state_applied_entries_total",
                                             "Log entries applied to the state machine, by kind",
                                             {{"kind", std::string(type)}});
}

metrics::Counter& refused_counter() {
  static metrics::Counter& counter = metrics::Registry::global().counter(
      "synod_state_refused_commands_total",
      "Committed entries whose command failed to decode or validate (applied as no-ops)");
  return counter;
}

// A table's Result<bool> as the entry's outcome: ok flag, or the refusal.
void set_outcome(ApplyResult& result, Result<bool> done) {
  if (done.is_ok()) {
    result.ok = *done;
  } else {
    result.status = done.status();
  }
}

metrics::Counter& bad_snapshot_counter() {
  static metrics::Counter& counter = metrics::Registry::global().counter(
      "synod_state_restore_failures_total", "State snapshots or records refused as damaged");
  return counter;
}

}  // namespace

// Every table of the replicated state. Issue 6 adds its tables here and to
// all(); the order of all() is the order of snapshots and records.
struct StateStore::Tables {
  // The KV table asks the session table whether a lock's session is valid.
  Tables() : kv(&sessions) {}
  [[nodiscard]] std::vector<StateTable*> all() {
    return {&kv, &catalog, &sessions, &keyring, &dictionary};
  }
  [[nodiscard]] std::vector<const StateTable*> all() const {
    return {&kv, &catalog, &sessions, &keyring, &dictionary};
  }
  [[nodiscard]] RegistryTables registry() { return {catalog, sessions, kv}; }
  KvStore kv;
  CatalogTable catalog;
  SessionTable sessions;
  KeyringTable keyring;
  DictionaryTable dictionary;
};

StateStore::StateStore() : tables_(make_tables()) {}
StateStore::~StateStore() = default;

std::unique_ptr<StateStore::Tables> StateStore::make_tables() { return std::make_unique<Tables>(); }

const KvStore& StateStore::kv() const { return tables_->kv; }
const CatalogTable& StateStore::catalog() const { return tables_->catalog; }
const SessionTable& StateStore::sessions() const { return tables_->sessions; }
const KeyringTable& StateStore::keyring() const { return tables_->keyring; }
const DictionaryTable& StateStore::dictionary() const { return tables_->dictionary; }

ApplyResult StateStore::apply(const Entry& entry) {
  ApplyResult result;
  result.index = entry.index;
  if (entry.index <= applied_index_) {
    result.status =
        internal_error("entry " + entry.index.to_string() + " is at or below the applied index " +
                       applied_index_.to_string());
    return result;
  }
  applied_index_ = entry.index;
  if (entry.type != EntryType::kNormal || entry.data.empty()) {
    static metrics::Counter& noops = applied_counter("noop");
    noops.inc();
    return result;
  }
  Result<proto::Command> command = decode_command(entry.data);
  if (!command.is_ok()) {
    // Every node decodes the same bytes the same way, so refusing here keeps
    // replicas identical; the proposer sees the error.
    refused_counter().inc();
    result.status = command.status().with_context("entry " + entry.index.to_string());
    return result;
  }
  const KvApplyContext ctx{entry.index.value(), command->leader_time_ms(), &pending_};
  switch (command->body_case()) {
    case proto::Command::kKv: {
      static metrics::Counter& kv_ops = applied_counter("kv");
      kv_ops.inc();
      set_outcome(result, tables_->kv.apply_op(command->kv(), ctx));
      break;
    }
    case proto::Command::kKvTxn: {
      static metrics::Counter& txns = applied_counter("kv_txn");
      txns.inc();
      result.txn = tables_->kv.apply_txn(command->kv_txn().ops(), ctx);
      result.ok = result.txn.committed();
      break;
    }
    case proto::Command::kKvReap: {
      static metrics::Counter& reaps = applied_counter("kv_reap");
      reaps.inc();
      tables_->kv.reap(command->kv_reap().up_to_index(), ctx);
      result.ok = true;
      break;
    }
    case proto::Command::kKeyring: {
      static metrics::Counter& keyring_ops = applied_counter("keyring");
      keyring_ops.inc();
      set_outcome(result,
                  tables_->keyring.apply(command->keyring(), entry.index.value(), pending_));
      break;
    }
    case proto::Command::kCompressionDictionary: {
      static metrics::Counter& dictionaries = applied_counter("compression_dictionary");
      dictionaries.inc();
      set_outcome(result, tables_->dictionary.apply(command->compression_dictionary(),
                                                    entry.index.value(), pending_));
      break;
    }
    default: {
      // Registry and session bodies (issue 6), dispatched by registry_apply.
      const std::string_view kind = registry_command_kind(*command);
      if (kind.empty()) {
        result.status = unimplemented("command type not supported by this version");
        break;
      }
      applied_counter(kind).inc();
      Result<bool> done = apply_registry_command(*command, tables_->registry(), ctx);
      if (done.is_ok()) {
        result.ok = *done;
      } else {
        result.status = done.status();
      }
      break;
    }
  }
  return result;
}

BatchOutcome StateStore::apply_batch(std::span<const Entry> entries) {
  BatchOutcome outcome;
  outcome.results.reserve(entries.size());
  for (const Entry& entry : entries) outcome.results.push_back(apply(entry));
  outcome.changes = publish_changes();
  return outcome;
}

ChangeSet StateStore::take_changes() {
  ChangeSet taken = std::move(pending_);
  pending_.clear();
  return taken;
}

ChangeSet StateStore::publish_changes() {
  ChangeSet changes = take_changes();
  if (listener_ && !changes.empty()) listener_(changes);
  return changes;
}

Bytes StateStore::snapshot() const {
  SnapshotWriter writer(applied_index_);
  for (const StateTable* table : std::as_const(*tables_).all()) {
    table->emit_records([&](RecordTable which, StateRecord record) {
      writer.add(which, record.key, record.value);
    });
  }
  return writer.finish();
}

Status StateStore::route_record(Tables& tables, RecordTable table, std::string_view key,
                                ByteView value) {
  for (StateTable* owner : tables.all()) {
    const bool mine = table == RecordTable::kMeta
                          ? key.starts_with(owner->owner()) && key.size() > owner->owner().size() &&
                                key[owner->owner().size()] == '/'
                          : owner->owns(table);
    if (mine) return owner->load_record(table, key, value);
  }
  return corruption("no table stores " + std::string(record_table_name(table)) + " record \"" +
                    std::string(key) + "\"");
}

Status StateStore::replace_tables(LogIndex applied_index, const RecordFeed& feed) {
  // Load into fresh tables and swap only on success: a damaged input leaves
  // the current state untouched.
  std::unique_ptr<Tables> staged = make_tables();
  Status status = feed([&](RecordTable table, std::string_view key, ByteView value) {
    return route_record(*staged, table, key, value);
  });
  if (!status.is_ok()) {
    bad_snapshot_counter().inc();
    return status;
  }
  mark_all(*tables_, pending_);
  mark_all(*staged, pending_);
  tables_ = std::move(staged);
  applied_index_ = applied_index;
  return Status::ok();
}

Status StateStore::restore(ByteView data, std::optional<LogIndex> expected_index) {
  LogIndex snapshot_index;
  // read_snapshot checks the checksum before it visits any record.
  Status status = replace_tables(LogIndex(0), [&](const SnapshotVisitor& add) {
    SYNOD_RETURN_IF_ERROR(read_snapshot(data, &snapshot_index, add));
    if (expected_index && *expected_index != snapshot_index) {
      return corruption("snapshot covers index " + snapshot_index.to_string() + ", expected " +
                        expected_index->to_string());
    }
    return Status::ok();
  });
  if (!status.is_ok()) return status.with_context("restoring state snapshot");
  applied_index_ = snapshot_index;
  return Status::ok();
}

void StateStore::reset(LogIndex applied_index) {
  mark_all(*tables_, pending_);
  tables_ = make_tables();
  applied_index_ = applied_index;
}

void StateStore::mark_all(const Tables& tables, ChangeSet& changes) const {
  for (const StateTable* table : tables.all()) {
    table->emit_keys([&](RecordTable which, std::string_view key) { changes.mark(which, key); });
  }
}

AppliedRecords StateStore::records_for(const ChangeSet& changes) const {
  AppliedRecords records;
  records.applied_index = applied_index_;
  for (const StateTable* table : std::as_const(*tables_).all()) {
    table->records_for(changes, records.changes);
  }
  return records;
}

AppliedRecords StateStore::all_records() const {
  AppliedRecords records;
  records.applied_index = applied_index_;
  records.replace_all = true;
  for (const StateTable* table : std::as_const(*tables_).all()) {
    table->emit_records([&](RecordTable which, StateRecord record) {
      std::string key = record.key;
      records.changes.push_back({which, std::move(key), std::move(record)});
    });
  }
  return records;
}

Status StateStore::load_records(LogIndex applied_index, const RecordFeed& feed) {
  Status status = replace_tables(applied_index, feed);
  // A load is a start-up step, not a batch to publish: nothing is pending.
  if (status.is_ok()) pending_.clear();
  return status;
}

}  // namespace synod::consensus::state
