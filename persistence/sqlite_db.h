// SqliteDb: one SQLite connection shared by the four stores of a sqlite
// backend, with a cache of prepared statements and the durability settings
// the backend promises: WAL journal, synchronous=FULL (every COMMIT fsyncs
// the WAL), and the schema-version check.
//
// Threading: the connection is used under mutex() only; SqliteQuery and
// transactions assume the caller holds it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "persistence/applied_state_store.h"

namespace synod::persistence {

class SqliteDb {
 public:
  // Opens (creating) the database file, sets the pragmas, creates the schema
  // and checks synod_schema_version (FailedPrecondition naming the table and
  // the file if it holds another version).
  static Result<std::shared_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  std::mutex& mutex() { return mutex_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  Status exec(const std::string& sql);
  // The cached prepared statement for sql, reset and with bindings cleared.
  Result<sqlite3_stmt*> prepare(const std::string& sql);
  // An error Status quoting sqlite's message for the last call.
  Status error(std::string_view what, int rc) const;

  // Runs body inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK if body fails).
  template <typename Body>
  Status transaction(Body&& body) {
    SYNOD_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.is_ok()) s = exec("COMMIT");
    if (!s.is_ok()) (void)exec("ROLLBACK");
    return s;
  }

 private:
  SqliteDb() = default;
  Status init_schema();

  std::mutex mutex_;
  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;  // GUARDED_BY(mutex_)
};

// One execution of a cached statement: binds parameters left to right, steps,
// reads columns, and resets the statement when it goes out of scope.
class SqliteQuery {
 public:
  SqliteQuery(SqliteDb& db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteQuery() { sqlite3_reset(stmt_); }
  SqliteQuery(const SqliteQuery&) = delete;
  SqliteQuery& operator=(const SqliteQuery&) = delete;

  SqliteQuery& bind(std::int64_t v);
  SqliteQuery& bind_text(std::string_view v);
  SqliteQuery& bind_blob(ByteView v);
  SqliteQuery& bind(const ColumnValue& v);

  // true: a row is ready; false: done. Errors quote sqlite's message.
  Result<bool> step();
  // Steps to completion, expecting no rows to matter.
  Status run();

  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  Bytes blob(int col) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
};

}  // namespace synod::persistence
