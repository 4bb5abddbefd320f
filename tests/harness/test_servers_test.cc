// The throw-away server harness itself: servers start, answer, survive a
// stop/restart on the same port with their data, and a missing binary is a
// clear failure naming the package.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/harness/postgres_server.h"
#include "tests/harness/process_util.h"
#include "tests/harness/redis_server.h"

namespace synod::test {
namespace {

TEST(PostgresServerTest, StartsRestartsOnSamePortAndKeepsData) {
  auto started = PostgresServer::start();
  ASSERT_TRUE(started.is_ok()) << started.status();
  PostgresServer& pg = **started;
  EXPECT_TRUE(port_accepts(pg.port()));
  ASSERT_TRUE(pg.exec_sql("CREATE TABLE t (x int); INSERT INTO t VALUES (42);").is_ok());

  int port = pg.port();
  ASSERT_TRUE(pg.shutdown().is_ok());
  EXPECT_FALSE(port_accepts(port));
  ASSERT_TRUE(pg.restart().is_ok());
  EXPECT_EQ(pg.port(), port);
  // The row committed before the outage is still there.
  EXPECT_TRUE(
      pg.exec_sql("DO $$ BEGIN IF (SELECT x FROM t) <> 42 THEN RAISE 'lost'; END IF; END $$;")
          .is_ok());

  ASSERT_TRUE(pg.crash().is_ok());
  ASSERT_TRUE(pg.restart().is_ok());
  EXPECT_TRUE(pg.exec_sql("SELECT x FROM t").is_ok());

  std::string dir = pg.dir();
  pg.stop();
  EXPECT_FALSE(file_exists(dir));
  EXPECT_FALSE(port_accepts(port));
}

TEST(PostgresServerTest, MissingBinariesFailWithPackageName) {
  ::setenv("SYNOD_PG_BINDIR", "/nonexistent/bin", 1);
  auto started = PostgresServer::start();
  ::unsetenv("SYNOD_PG_BINDIR");
  ASSERT_FALSE(started.is_ok());
  EXPECT_NE(started.status().message().find("postgresql"), std::string::npos) << started.status();
}

TEST(RedisServerTest, StartsRestartsOnSamePortAndKeepsData) {
  auto started = RedisServer::start();
  ASSERT_TRUE(started.is_ok()) << started.status();
  RedisServer& redis = **started;
  int port = redis.port();
  EXPECT_TRUE(port_accepts(port));
  ASSERT_TRUE(redis.crash().is_ok());
  EXPECT_FALSE(port_accepts(port));
  ASSERT_TRUE(redis.restart().is_ok());
  EXPECT_EQ(redis.port(), port);
  EXPECT_TRUE(file_exists(redis.dir() + "/appendonlydir"));
  std::string dir = redis.dir();
  redis.stop();
  EXPECT_FALSE(file_exists(dir));
}

TEST(RedisServerTest, MissingBinaryFailsWithPackageName) {
  ::setenv("SYNOD_REDIS_SERVER", "/nonexistent/redis-server", 1);
  std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", "/nonexistent", 1);
  auto started = RedisServer::start();
  ::setenv("PATH", saved_path.c_str(), 1);
  ::unsetenv("SYNOD_REDIS_SERVER");
  ASSERT_FALSE(started.is_ok());
  EXPECT_NE(started.status().message().find("redis-server"), std::string::npos) << started.status();
}

TEST(SharedServersTest, SharedServersAreStartedOnce) {
  auto a = shared_redis();
  auto b = shared_redis();
  ASSERT_TRUE(a.is_ok()) << a.status();
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(*a, *b);
  auto pg = shared_postgres();
  ASSERT_TRUE(pg.is_ok()) << pg.status();
  EXPECT_TRUE(port_accepts((*pg)->port()));
}

}  // namespace
}  // namespace synod::test
