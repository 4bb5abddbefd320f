// The storage conformance suite against the redis backend on a real,
// throw-away Redis server, plus the durability check at open.
#include "persistence/redis_backend.h"
#include "tests/conformance/server_fixtures.h"

namespace synod::persistence::testing {
namespace {

SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Redis, [] { return std::make_unique<RedisFixture>(); });

BackendOptions redis_options(const test::RedisServer& server) {
  BackendOptions o;
  o.backend = "redis";
  o.node_id = NodeId(3);
  o.redis_address = "127.0.0.1:" + std::to_string(server.port());
  return o;
}

TEST(RedisBackendTest, DurableServerGivesNoWarning) {
  auto server = test::shared_redis();
  ASSERT_TRUE(server.is_ok()) << server.status();
  auto backend = open_backend(redis_options(**server));
  ASSERT_TRUE(backend.is_ok()) << backend.status();
  EXPECT_EQ(redis_durability_warning(**backend), "");
}

TEST(RedisBackendTest, EverysecServerIsWarnedAbout) {
  auto server = test::RedisServer::start({"--appendfsync", "everysec"});
  ASSERT_TRUE(server.is_ok()) << server.status();
  auto backend = open_backend(redis_options(**server));
  ASSERT_TRUE(backend.is_ok()) << backend.status();
  std::string warning = redis_durability_warning(**backend);
  EXPECT_NE(warning.find("appendfsync everysec"), std::string::npos) << warning;
  EXPECT_NE(warning.find("appendfsync always"), std::string::npos) << warning;
}

TEST(RedisBackendTest, ChunksOfAnAbandonedSnapshotAreDeletedAtOpen) {
  auto server = test::shared_redis();
  ASSERT_TRUE(server.is_ok()) << server.status();
  ASSERT_TRUE((*server)->command({"FLUSHALL"}).is_ok());
  {
    auto backend = open_backend(redis_options(**server));
    ASSERT_TRUE(backend.is_ok()) << backend.status();
    auto writer = (*backend)->snapshots().begin({LogIndex(5), Term(1), ""});
    ASSERT_TRUE(writer.is_ok());
    ASSERT_TRUE((*writer)->append(std::string(2 << 20, 'a')).is_ok());  // two chunks stored
  }  // abandoned: never committed
  auto exists = (*server)->command({"EXISTS", "synod:3:snapshot:1"});
  ASSERT_TRUE(exists.is_ok());
  EXPECT_EQ(*exists, ":1\r\n");
  auto reopened = open_backend(redis_options(**server));
  ASSERT_TRUE(reopened.is_ok()) << reopened.status();
  exists = (*server)->command({"EXISTS", "synod:3:snapshot:1"});
  ASSERT_TRUE(exists.is_ok());
  EXPECT_EQ(*exists, ":0\r\n");
}

TEST(RedisBackendTest, UnreachableServerIsUnavailable) {
  BackendOptions o;
  o.backend = "redis";
  o.node_id = NodeId(1);
  o.redis_address = "127.0.0.1:1";
  auto opened = open_backend(o);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable) << opened.status();
}

}  // namespace
}  // namespace synod::persistence::testing
