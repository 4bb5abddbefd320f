// The storage conformance suite against the sqlite backend (a temp file),
// plus sqlite-specific checks: the schema-version guard and inspectable tables.
#include <sqlite3.h>

#include "persistence/backend.h"
#include "tests/persistence/conformance_suite.h"

namespace synod::persistence::testing {
namespace {

SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Sqlite,
                                      [] { return std::make_unique<TempDirFixture>("sqlite"); });

class SqliteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("synod-sqlite"); }
  void TearDown() override { remove_temp_dir(dir_); }
  BackendOptions options() {
    BackendOptions o;
    o.backend = "sqlite";
    o.node_id = NodeId(7);
    o.data_dir = dir_;
    return o;
  }
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/synod.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  std::string dir_;
};

TEST_F(SqliteBackendTest, WrongSchemaVersionIsAClearErrorNamingTheTable) {
  { ASSERT_TRUE(open_backend(options()).is_ok()); }
  exec("UPDATE synod_schema_version SET version = 99");
  auto reopened = open_backend(options());
  ASSERT_FALSE(reopened.is_ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reopened.status().message().find("synod_schema_version"), std::string::npos)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find("99"), std::string::npos) << reopened.status();
}

TEST_F(SqliteBackendTest, SessionsAreInspectableWithSql) {
  {
    auto backend = open_backend(options());
    ASSERT_TRUE(backend.is_ok()) << backend.status();
    AppliedBatch batch;
    batch.applied_index = LogIndex(5);
    batch.ops.push_back(RecordOp::put(
        Table::kSessions,
        Record{"sess-1",
               {std::string("lock"), std::string("n1"), std::string("15s"), std::string("release"),
                std::string("15s"), std::string("serfHealth"), std::int64_t{4}},
               "{}"}));
    ASSERT_TRUE((*backend)->applied_state().apply_batch(batch).is_ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/synod.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT synod_node_id, key, name, ttl FROM sessions", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 7);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)), "sess-1");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)), "lock");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)), "15s");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace synod::persistence::testing
