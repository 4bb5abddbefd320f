// The SQL schema shared by the sqlite and postgres backends, generated for
// each dialect from one description, so both databases hold the same tables:
//
//   synod_schema_version(version)                     one row; checked at open
//   synod_log(synod_node_id, idx, term, type, data)         the Raft log
//   synod_log_base(synod_node_id, base_index, base_term)    the compaction boundary
//   synod_stable(synod_node_id, term, vote, commit_index, configuration)
//   synod_snapshots(synod_node_id, snapshot_id, idx, term, configuration, size, crc)
//   synod_snapshot_chunks(synod_node_id, snapshot_id, seq, data)
//   synod_applied(synod_node_id, applied_index)
//   kv, services, checks, nodes, sessions             (synod_node_id, key, <columns>, value)
//
// Every table carries synod_node_id, so several nodes share one database and an
// operator can run `SELECT * FROM sessions WHERE synod_node_id = 1`.
#pragma once

#include <string>
#include <vector>

#include "persistence/applied_state_store.h"

namespace synod::persistence {

inline constexpr int kSqlSchemaVersion = 1;
inline constexpr const char* kSchemaVersionTable = "synod_schema_version";

struct SqlDialect {
  const char* integer;        // "INTEGER" / "BIGINT"
  const char* blob;           // "BLOB" / "BYTEA"
  const char* without_rowid;  // " WITHOUT ROWID" for sqlite, "" for postgres
  bool dollar_placeholders;   // $1 (postgres) or ?1 (sqlite)
};

inline constexpr SqlDialect kSqliteDialect{"INTEGER", "BLOB", " WITHOUT ROWID", false};
inline constexpr SqlDialect kPostgresDialect{"BIGINT", "BYTEA", "", true};

// CREATE TABLE IF NOT EXISTS statements for every table, version table first.
std::vector<std::string> schema_statements(const SqlDialect& dialect);

// Placeholder n (1-based) in the dialect.
std::string placeholder(const SqlDialect& dialect, int n);

// INSERT ... ON CONFLICT (synod_node_id, key) DO UPDATE for one applied-state table:
// parameters synod_node_id, key, the columns in order, value.
std::string upsert_record_sql(const SqlDialect& dialect, Table table);
// SELECT key, <columns>, value ... WHERE synod_node_id = param 1 ORDER BY key (byte order).
std::string select_records_sql(const SqlDialect& dialect, Table table);

}  // namespace synod::persistence
