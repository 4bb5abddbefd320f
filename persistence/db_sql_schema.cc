#include "persistence/db_sql_schema.h"

namespace synod::persistence {

std::string placeholder(const SqlDialect& dialect, int n) {
  return (dialect.dollar_placeholders ? "$" : "?") + std::to_string(n);
}

std::vector<std::string> schema_statements(const SqlDialect& d) {
  std::string i = d.integer;
  std::string b = d.blob;
  std::vector<std::string> out = {
      std::string("CREATE TABLE IF NOT EXISTS ") + kSchemaVersionTable + " (version " + i +
          " NOT NULL)",
      "CREATE TABLE IF NOT EXISTS synod_log (synod_node_id " + i + " NOT NULL, idx " + i +
          " NOT NULL, term " + i + " NOT NULL, type " + i + " NOT NULL, data " + b +
          " NOT NULL, PRIMARY KEY (synod_node_id, idx))" + d.without_rowid,
      "CREATE TABLE IF NOT EXISTS synod_log_base (synod_node_id " + i +
          " PRIMARY KEY, base_index " + i + " NOT NULL, base_term " + i + " NOT NULL)",
      "CREATE TABLE IF NOT EXISTS synod_stable (synod_node_id " + i + " PRIMARY KEY, term " + i +
          " NOT NULL, vote " + i + " NOT NULL, commit_index " + i + " NOT NULL, configuration " +
          b + " NOT NULL)",
      "CREATE TABLE IF NOT EXISTS synod_snapshots (synod_node_id " + i + " NOT NULL, snapshot_id " +
          i + " NOT NULL, idx " + i + " NOT NULL, term " + i + " NOT NULL, configuration " + b +
          " NOT NULL, size " + i + " NOT NULL, crc " + i +
          " NOT NULL, PRIMARY KEY (synod_node_id, snapshot_id))",
      "CREATE TABLE IF NOT EXISTS synod_snapshot_chunks (synod_node_id " + i +
          " NOT NULL, snapshot_id " + i + " NOT NULL, seq " + i + " NOT NULL, data " + b +
          " NOT NULL, PRIMARY KEY (synod_node_id, snapshot_id, seq))" + d.without_rowid,
      "CREATE TABLE IF NOT EXISTS synod_applied (synod_node_id " + i +
          " PRIMARY KEY, applied_index " + i + " NOT NULL)",
  };
  for (Table t : kAllTables) {
    const TableSchema& schema = table_schema(t);
    std::string sql = "CREATE TABLE IF NOT EXISTS " + std::string(schema.name) +
                      " (synod_node_id " + i + " NOT NULL, key TEXT NOT NULL";
    for (const ColumnSpec& c : schema.columns) {
      sql += ", " + std::string(c.name) + " " + (c.type == ColumnType::kInteger ? i : "TEXT");
    }
    sql += ", value " + b + " NOT NULL, PRIMARY KEY (synod_node_id, key))";
    out.push_back(sql);
  }
  return out;
}

std::string upsert_record_sql(const SqlDialect& d, Table table) {
  const TableSchema& schema = table_schema(table);
  std::string names = "synod_node_id, key";
  std::string values = placeholder(d, 1) + ", " + placeholder(d, 2);
  std::string updates;
  int n = 3;
  for (const ColumnSpec& c : schema.columns) {
    names += ", " + std::string(c.name);
    values += ", " + placeholder(d, n++);
    updates += std::string(c.name) + " = excluded." + std::string(c.name) + ", ";
  }
  names += ", value";
  values += ", " + placeholder(d, n);
  updates += "value = excluded.value";
  return "INSERT INTO " + std::string(schema.name) + " (" + names + ") VALUES (" + values +
         ") ON CONFLICT (synod_node_id, key) DO UPDATE SET " + updates;
}

std::string select_records_sql(const SqlDialect& d, Table table) {
  const TableSchema& schema = table_schema(table);
  std::string sql = "SELECT key";
  for (const ColumnSpec& c : schema.columns) sql += ", " + std::string(c.name);
  sql += ", value FROM " + std::string(schema.name) +
         " WHERE synod_node_id = " + placeholder(d, 1) + " ORDER BY key" +
         (d.dollar_placeholders ? " COLLATE \"C\"" : "");
  return sql;
}

}  // namespace synod::persistence
