// StateTable: one table (or family of tables) of the replicated state, as
// the StateStore sees it for snapshots, applied-state records and loading.
//
// Adding a table (issue 6: nodes, services, checks, sessions) means: a class
// implementing this interface with its own indexes, a Command body case
// dispatched to it in StateStore::apply_command, and one line registering it
// in StateStore::tables(). Nothing else changes.
//
// Records: a table persists its rows in the RecordTables it owns() and its
// internals (indexes, tombstones, ...) in RecordTable::kMeta under keys
// starting with "<owner()>/".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/state_record.h"

namespace synod::consensus::state {

using RecordSink = std::function<void(RecordTable table, StateRecord record)>;
using KeySink = std::function<void(RecordTable table, std::string_view key)>;

class StateTable {
 public:
  virtual ~StateTable() = default;
  // The kMeta key prefix (without the '/'), e.g. "kv".
  [[nodiscard]] virtual std::string_view owner() const = 0;
  // True for the RecordTables whose rows this table stores.
  [[nodiscard]] virtual bool owns(RecordTable table) const = 0;
  // Every record of the table, tables and keys in ascending order.
  virtual void emit_records(const RecordSink& sink) const = 0;
  // The keys emit_records would give, without encoding values (marking a
  // whole table changed after a restore). Override when encoding is costly.
  virtual void emit_keys(const KeySink& sink) const {
    emit_records([&](RecordTable table, StateRecord record) { sink(table, record.key); });
  }
  // The current record (or a delete) for every changed key this table owns.
  virtual void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const = 0;
  // Adds one record while loading (snapshot or applied-state store). Bad
  // bytes or a duplicate key: Corruption naming the key.
  virtual Status load_record(RecordTable table, std::string_view key, ByteView value) = 0;
  // Back to the empty initial state.
  virtual void clear() = 0;
};

// "<owner>/<kind>/<key>" (key may be empty: "<owner>/<kind>").
std::string meta_key(std::string_view owner, std::string_view kind, std::string_view key = {});

}  // namespace synod::consensus::state
