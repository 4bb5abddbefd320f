// The neutral record form of the replicated state: what the applied-state
// store persists, what a snapshot contains and what a restart loads.
//
// consensus/ may not include persistence/, so this header mirrors
// persistence::Record closely enough that the node maps one onto the other
// field by field (RecordTable values equal persistence::Table values; kMeta has
// no persistence counterpart yet, see docs/state-machine.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"

namespace synod::consensus::state {

// Which table a record belongs to. The first five equal persistence::Table;
// kMeta holds a table's internals (indexes, KV tombstones, lock-delays) under
// keys "<owner>/<kind>[/<key>]", e.g. "kv/index", "kv/tombstone/a/b".
enum class RecordTable : std::uint8_t {
  kKv = 0,
  kServices = 1,
  kChecks = 2,
  kNodes = 3,
  kSessions = 4,
  kMeta = 5,
};
inline constexpr std::size_t kRecordTableCount = 6;
inline constexpr std::array<RecordTable, kRecordTableCount> kAllRecordTables = {
    RecordTable::kKv,    RecordTable::kServices, RecordTable::kChecks,
    RecordTable::kNodes, RecordTable::kSessions, RecordTable::kMeta};

std::string_view record_table_name(RecordTable table);
std::optional<RecordTable> record_table_from_u8(std::uint8_t value);

// A column value for operators (NULL, integer or text), as
// persistence::ColumnValue. Columns are derived from `value`, never read back.
using RecordColumn = std::variant<std::monostate, std::int64_t, std::string>;

// One row: the key, the inspection columns in the table's schema order
// (docs/state-machine.md lists them) and the encoded row, the source of truth.
struct StateRecord {
  std::string key;
  std::vector<RecordColumn> columns;
  Bytes value;
  bool operator==(const StateRecord&) const = default;
};

// One change to persist: an upsert (record set) or a delete (record empty).
struct RecordChange {
  RecordTable table = RecordTable::kKv;
  std::string key;
  std::optional<StateRecord> record;
  bool operator==(const RecordChange&) const = default;
};

// The record changes of one applied batch, to be written atomically with
// applied_index (persistence::AppliedBatch). replace_all: the changes are the
// whole state (after a snapshot install) and everything else must go.
struct AppliedRecords {
  LogIndex applied_index;
  bool replace_all = false;
  std::vector<RecordChange> changes;
};

}  // namespace synod::consensus::state
