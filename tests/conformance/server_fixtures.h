// Conformance fixtures for the server backends: each test gets a fresh
// namespace on a server shared by the whole test process (tests/harness).
// A server that cannot start fails the test with the harness's message
// (which names the missing package); nothing is skipped.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "tests/harness/postgres_server.h"
#include "tests/harness/redis_server.h"
#include "tests/persistence/conformance_suite.h"

namespace synod::persistence::testing {

// A fresh schema per test on the shared PostgreSQL server (the URL sets
// search_path; a schema is much cheaper to create than a database).
class PostgresFixture : public BackendFixture {
 public:
  void set_up() override {
    auto server = test::shared_postgres();
    ASSERT_TRUE(server.is_ok()) << server.status();
    static std::atomic<int> counter{0};
    schema_ = "conformance_" + std::to_string(++counter);
    ASSERT_TRUE((*server)->exec_sql("CREATE SCHEMA " + schema_).is_ok());
    url_ = (*server)->url() + "?options=-csearch_path%3D" + schema_;
  }
  BackendOptions options(NodeId node) override {
    BackendOptions o;
    o.backend = "postgres";
    o.node_id = node;
    o.postgres_url = url_;
    return o;
  }
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] const std::string& schema() const { return schema_; }

 private:
  std::string schema_;
  std::string url_;
};

// The shared Redis server, flushed before each test.
class RedisFixture : public BackendFixture {
 public:
  void set_up() override {
    auto server = test::shared_redis();
    ASSERT_TRUE(server.is_ok()) << server.status();
    ASSERT_TRUE((*server)->command({"FLUSHALL"}).is_ok());
    address_ = "127.0.0.1:" + std::to_string((*server)->port());
  }
  BackendOptions options(NodeId node) override {
    BackendOptions o;
    o.backend = "redis";
    o.node_id = node;
    o.redis_address = address_;
    return o;
  }

 private:
  std::string address_;
};

}  // namespace synod::persistence::testing
