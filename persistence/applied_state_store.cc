// The fixed table schemas of the applied state (see applied_state_store.h).
#include "persistence/applied_state_store.h"

namespace synod::persistence {
namespace {

constexpr ColumnType kInt = ColumnType::kInteger;
constexpr ColumnType kText = ColumnType::kText;

const std::array<TableSchema, kAllTables.size()>& schemas() {
  static const std::array<TableSchema, kAllTables.size()> all = {{
      {Table::kKv,
       "kv",
       {{"flags", kInt},
        {"session", kText},
        {"create_index", kInt},
        {"modify_index", kInt},
        {"lock_index", kInt}}},
      {Table::kServices,
       "services",
       {{"node", kText},
        {"service_id", kText},
        {"service_name", kText},
        {"address", kText},
        {"port", kInt},
        {"tags", kText},
        {"modify_index", kInt}}},
      {Table::kChecks,
       "checks",
       {{"node", kText},
        {"check_id", kText},
        {"name", kText},
        {"status", kText},
        {"service_id", kText},
        {"modify_index", kInt}}},
      {Table::kNodes,
       "nodes",
       {{"node_id", kText}, {"address", kText}, {"datacenter", kText}, {"modify_index", kInt}}},
      {Table::kSessions,
       "sessions",
       {{"name", kText},
        {"node", kText},
        {"ttl", kText},
        {"behavior", kText},
        {"lock_delay", kText},
        {"checks", kText},
        {"create_index", kInt}}},
      {Table::kMeta, "meta", {}},
  }};
  return all;
}

}  // namespace

const TableSchema& table_schema(Table table) { return schemas()[static_cast<std::size_t>(table)]; }

std::string_view table_name(Table table) { return table_schema(table).name; }

std::optional<Table> table_from_name(std::string_view name) {
  for (const auto& schema : schemas()) {
    if (schema.name == name) return schema.table;
  }
  return std::nullopt;
}

Status visit_tables(const RecordTables& tables, const AppliedStateStore::Visitor& visitor) {
  for (Table t : kAllTables) {
    for (const auto& [key, record] : tables[static_cast<std::size_t>(t)]) {
      SYNOD_RETURN_IF_ERROR(visitor(t, record));
    }
  }
  return Status::ok();
}

RecordOp RecordOp::put(Table table, Record record) {
  RecordOp op;
  op.table = table;
  op.key = record.key;
  op.record = std::move(record);
  return op;
}

RecordOp RecordOp::erase(Table table, std::string key) {
  RecordOp op;
  op.table = table;
  op.key = std::move(key);
  return op;
}

Status validate_record(Table table, const Record& record) {
  const TableSchema& schema = table_schema(table);
  if (record.columns.size() > schema.columns.size()) {
    return invalid_argument("record '" + record.key + "' has " +
                            std::to_string(record.columns.size()) + " columns, table " +
                            std::string(schema.name) + " has " +
                            std::to_string(schema.columns.size()));
  }
  for (std::size_t i = 0; i < record.columns.size(); ++i) {
    const ColumnValue& v = record.columns[i];
    bool ok = std::holds_alternative<std::monostate>(v) ||
              (schema.columns[i].type == kInt && std::holds_alternative<std::int64_t>(v)) ||
              (schema.columns[i].type == kText && std::holds_alternative<std::string>(v));
    if (!ok) {
      return invalid_argument("record '" + record.key + "' column " +
                              std::string(schema.columns[i].name) + " of table " +
                              std::string(schema.name) + " has the wrong type");
    }
  }
  return Status::ok();
}

}  // namespace synod::persistence
