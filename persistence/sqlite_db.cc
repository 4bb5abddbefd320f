#include "persistence/sqlite_db.h"

#include <filesystem>

#include "persistence/db_sql_schema.h"

namespace synod::persistence {

Result<std::shared_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  std::shared_ptr<SqliteDb> db(new SqliteDb());
  db->path_ = path;
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  int rc =
      sqlite3_open_v2(path.c_str(), &db->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) return db->error("opening", rc);
  sqlite3_busy_timeout(db->db_, 5000);
  std::lock_guard lock(db->mutex_);
  SYNOD_RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL"));
  SYNOD_RETURN_IF_ERROR(db->exec("PRAGMA synchronous=FULL"));
  SYNOD_RETURN_IF_ERROR(db->init_schema());
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close(db_);
}

Status SqliteDb::init_schema() {
  return transaction([&]() -> Status {
    for (const std::string& sql : schema_statements(kSqliteDialect)) {
      SYNOD_RETURN_IF_ERROR(exec(sql));
    }
    SYNOD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                           prepare(std::string("SELECT version FROM ") + kSchemaVersionTable));
    SqliteQuery query(*this, stmt);
    SYNOD_ASSIGN_OR_RETURN(bool row, query.step());
    if (!row) {
      return exec(std::string("INSERT INTO ") + kSchemaVersionTable + " (version) VALUES (" +
                  std::to_string(kSqlSchemaVersion) + ")");
    }
    if (query.integer(0) != kSqlSchemaVersion) {
      return failed_precondition("table " + std::string(kSchemaVersionTable) + " in " + path_ +
                                 " says schema version " + std::to_string(query.integer(0)) +
                                 ", this synod reads version " + std::to_string(kSqlSchemaVersion) +
                                 " (migrate with `synod data export/import`)");
    }
    return Status::ok();
  });
}

Status SqliteDb::error(std::string_view what, int rc) const {
  std::string message = "sqlite " + path_ + ": " + std::string(what) + ": " +
                        (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return corruption(message);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return unavailable(message);
  return io_error(message);
}

Status SqliteDb::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(sql.substr(0, 60), rc);
  return Status::ok();
}

Result<sqlite3_stmt*> SqliteDb::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error("preparing " + sql.substr(0, 60), rc);
  statements_.emplace(sql, stmt);
  return stmt;
}

SqliteQuery& SqliteQuery::bind(std::int64_t v) {
  sqlite3_bind_int64(stmt_, next_param_++, v);
  return *this;
}

SqliteQuery& SqliteQuery::bind_text(std::string_view v) {
  sqlite3_bind_text(stmt_, next_param_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteQuery& SqliteQuery::bind_blob(ByteView v) {
  // A zero-length blob, not NULL, for empty data.
  sqlite3_bind_blob(stmt_, next_param_++, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

SqliteQuery& SqliteQuery::bind(const ColumnValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return bind(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return bind_text(*s);
  sqlite3_bind_null(stmt_, next_param_++);
  return *this;
}

Result<bool> SqliteQuery::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_.error(std::string("executing ") + std::string(sqlite3_sql(stmt_)).substr(0, 60), rc);
}

Status SqliteQuery::run() {
  for (;;) {
    SYNOD_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return Status::ok();
  }
}

std::string SqliteQuery::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
}

Bytes SqliteQuery::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p == nullptr ? Bytes() : Bytes(p, sqlite3_column_bytes(stmt_, col));
}

}  // namespace synod::persistence
