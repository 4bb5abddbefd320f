// The storage conformance suite against the postgres backend on a real,
// throw-away PostgreSQL server, plus the schema-version guard.
#include "tests/conformance/server_fixtures.h"

namespace synod::persistence::testing {
namespace {

SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Postgres, [] { return std::make_unique<PostgresFixture>(); });

TEST(PostgresBackendTest, WrongSchemaVersionIsAClearErrorNamingTheTable) {
  PostgresFixture fixture;
  fixture.set_up();
  auto server = test::shared_postgres();
  ASSERT_TRUE(server.is_ok());
  { ASSERT_TRUE(open_backend(fixture.options(NodeId(1))).is_ok()); }
  ASSERT_TRUE(
      (*server)
          ->exec_sql("UPDATE " + fixture.schema() + ".synod_schema_version SET version = 42")
          .is_ok());
  auto reopened = open_backend(fixture.options(NodeId(1)));
  ASSERT_FALSE(reopened.is_ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reopened.status().message().find("synod_schema_version"), std::string::npos)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find("42"), std::string::npos) << reopened.status();
}

TEST(PostgresBackendTest, UnreachableServerIsUnavailable) {
  BackendOptions o;
  o.backend = "postgres";
  o.node_id = NodeId(1);
  o.postgres_url = "postgresql://postgres@127.0.0.1:1/none";
  auto opened = open_backend(o);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable) << opened.status();
  EXPECT_NE(opened.status().message().find("127.0.0.1:1/none"), std::string::npos);
}

}  // namespace
}  // namespace synod::persistence::testing
