// AppliedStateStore: the replicated state machine's records (KV entries,
// services, checks, nodes, sessions) stored together with the applied index,
// so a restart loads the applied state and replays only the log tail after it,
// and an operator can inspect the records in the backend itself
// (`SELECT * FROM sessions` in SQLite or PostgreSQL).
//
// Every record is a key, a handful of typed columns for inspection and
// queries, and the full value (bytes, normally JSON) that the state machine
// decodes. The columns of each table are fixed by table_schema() below, so an
// SQL backend maps a table to `CREATE TABLE <name> (key TEXT PRIMARY KEY,
// <column> <INTEGER|TEXT>..., value BLOB)` and a key-value backend stores the
// encoded record. The value is the source of truth; the columns are derived
// from it by consensus/ and exist for operators.
//
// Atomicity: apply_batch() applies all its operations and the new applied
// index as one unit, durable on return: after a crash the store shows either
// the whole batch or none of it.
//
// Threading: thread-safe; one writer at a time (the node's apply path).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/status.h"

namespace synod::persistence {

enum class Table : std::uint8_t {
  kKv = 0,
  kServices = 1,
  kChecks = 2,
  kNodes = 3,
  kSessions = 4,
  // Internal state of the state machine's tables (per-table indexes, KV
  // tombstones, lock-delays): key + value, no columns. Same number as
  // consensus::state::RecordTable::kMeta.
  kMeta = 5,
};
inline constexpr std::array<Table, 6> kAllTables = {
    Table::kKv, Table::kServices, Table::kChecks, Table::kNodes, Table::kSessions, Table::kMeta};

enum class ColumnType : std::uint8_t { kInteger = 0, kText = 1 };

struct ColumnSpec {
  std::string_view name;
  ColumnType type;
};

struct TableSchema {
  Table table;
  std::string_view name;            // SQL table name: "kv", "services", ...
  std::vector<ColumnSpec> columns;  // between `key` and `value`, in this order
};

// The fixed schema of each table (see applied_state_store.cc for the columns:
// kv(flags, session, create_index, modify_index, lock_index), services(node,
// service_id, service_name, address, port, tags, modify_index), checks(node,
// check_id, name, status, service_id, modify_index), nodes(node_id, address,
// datacenter, modify_index), sessions(name, node, ttl, behavior, lock_delay,
// checks, create_index)).
const TableSchema& table_schema(Table table);
std::string_view table_name(Table table);
std::optional<Table> table_from_name(std::string_view name);

// A column value: NULL, an integer or text. Text columns hold durations as
// Go-style strings ("15s") and lists as comma-separated text, as Consul shows
// them.
using ColumnValue = std::variant<std::monostate, std::int64_t, std::string>;

struct Record {
  std::string key;
  // One value per column of table_schema(table).columns, in order. A shorter
  // vector is padded with NULLs; a longer one is InvalidArgument.
  std::vector<ColumnValue> columns;
  Bytes value;
  bool operator==(const Record&) const = default;
};

struct RecordOp {
  Table table = Table::kKv;
  std::string key;
  std::optional<Record> record;  // nullopt: delete key (a no-op if absent)
  // Upsert constructor helpers keep call sites short.
  static RecordOp put(Table table, Record record);
  static RecordOp erase(Table table, std::string key);
};

struct AppliedBatch {
  LogIndex applied_index;  // must be >= the stored applied index
  // true: delete every record of every table before the ops (a snapshot is
  // being installed and the ops are its full contents).
  bool replace_all = false;
  std::vector<RecordOp> ops;
};

class AppliedStateStore {
 public:
  virtual ~AppliedStateStore() = default;

  // Applies the ops in order and records applied_index, atomically and
  // durably. FailedPrecondition if applied_index is below applied_index()
  // (unless replace_all, which may move it anywhere).
  virtual Status apply_batch(const AppliedBatch& batch) = 0;

  // The index of the last applied batch; 0 if none.
  [[nodiscard]] virtual Result<LogIndex> applied_index() const = 0;

  // Calls visitor for every stored record (tables in kAllTables order, keys in
  // ascending byte order within a table). Stops at the first non-OK status
  // from the visitor and returns it.
  using Visitor = std::function<Status(Table, const Record&)>;
  virtual Status load_all(const Visitor& visitor) const = 0;
};

// Every table's records by key: the in-memory form the file and memory
// backends keep.
using RecordTables = std::array<std::map<std::string, Record>, kAllTables.size()>;
// Visits every record of `tables` in load_all() order (tables in kAllTables
// order, keys ascending); stops at the visitor's first error.
Status visit_tables(const RecordTables& tables, const AppliedStateStore::Visitor& visitor);

// Checks a record against its table's schema (column count and types).
Status validate_record(Table table, const Record& record);

}  // namespace synod::persistence
