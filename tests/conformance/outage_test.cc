// Backend outages: a writer appends and syncs while the PostgreSQL or Redis
// server under it crashes and comes back. Meanwhile syncs fail with a clear
// kUnavailable error; afterwards they resume by themselves (the backend
// reconnects); and every entry a sync reported durable is there, intact,
// after reopening the backend.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "persistence/backend.h"
#include "tests/harness/postgres_server.h"
#include "tests/harness/redis_server.h"

namespace synod::persistence {
namespace {

Entry entry_at(std::uint64_t i) {
  return Entry{Term(1 + i / 100), LogIndex(i), EntryType::kNormal,
               "payload-" + std::to_string(i) + std::string(200, 'x')};
}

// Appends entry after entry, syncing each; counts durable acks and failures.
class Writer {
 public:
  explicit Writer(StorageBackend& backend) : backend_(backend), thread_([this] { run(); }) {}
  ~Writer() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  // Waits until pred() holds (checked on every sync result) or 60 s pass.
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return pred(); });
  }
  std::uint64_t acked() const { return acked_; }  // call with mutex_ held (inside wait_for)
  std::uint64_t failures() const { return failures_; }
  std::uint64_t acked_now() {
    std::lock_guard lock(mutex_);
    return acked_;
  }
  Status first_failure() {
    std::lock_guard lock(mutex_);
    return first_failure_;
  }

 private:
  void run() {
    std::uint64_t next = backend_.log().last_index().value() + 1;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      if (backend_.log().last_index().value() < next) {
        Entry e = entry_at(next);
        Status appended = backend_.log().append({&e, 1});
        ASSERT_TRUE(appended.is_ok()) << appended;
      }
      Status s = backend_.log().sync();
      {
        std::lock_guard lock(mutex_);
        if (s.is_ok()) {
          acked_ = backend_.log().durable_index().value();
          next = acked_ + 1;
        } else {
          if (failures_++ == 0) first_failure_ = s;
        }
      }
      changed_.notify_all();
      if (!s.is_ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing
    }
  }

  StorageBackend& backend_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::uint64_t acked_ = 0;
  std::uint64_t failures_ = 0;
  Status first_failure_;
  std::thread thread_;
};

template <typename Server>
void run_outage(Server& server, const BackendOptions& options, const std::string& where,
                bool clean_stop = false) {
  std::uint64_t acked_before_restart = 0;
  {
    auto backend = open_backend(options);
    ASSERT_TRUE(backend.is_ok()) << backend.status();
    Writer writer(**backend);
    ASSERT_TRUE(writer.wait_for([&] { return writer.acked() >= 50; }));

    ASSERT_TRUE((clean_stop ? server.shutdown() : server.crash()).is_ok());
    ASSERT_TRUE(writer.wait_for([&] { return writer.failures() >= 3; }));
    Status failure = writer.first_failure();
    EXPECT_EQ(failure.code(), StatusCode::kUnavailable) << failure;
    EXPECT_NE(failure.message().find(where), std::string::npos) << failure;
    // Other stores fail the same clear way while the server is down.
    Status stable = (*backend)->stable().save(StableState{{Term(9), NodeId(1), LogIndex(1)}, ""});
    EXPECT_EQ(stable.code(), StatusCode::kUnavailable) << stable;

    acked_before_restart = writer.acked_now();
    ASSERT_TRUE(server.restart().is_ok());
    ASSERT_TRUE(writer.wait_for([&] { return writer.acked() >= acked_before_restart + 50; }))
        << "writes did not resume after the server came back";
    writer.stop();
    acked_before_restart = writer.acked_now();
    EXPECT_TRUE(
        (*backend)->stable().save(StableState{{Term(9), NodeId(1), LogIndex(1)}, ""}).is_ok());
  }
  // Everything reported durable survived, intact and without gaps.
  auto reopened = open_backend(options);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status();
  LogStore& log = (*reopened)->log();
  ASSERT_GE(log.last_index().value(), acked_before_restart);
  auto entries = log.read(LogIndex(1), LogIndex(acked_before_restart + 1));
  ASSERT_TRUE(entries.is_ok()) << entries.status();
  ASSERT_EQ(entries->size(), acked_before_restart);
  for (std::uint64_t i = 1; i <= acked_before_restart; ++i) {
    ASSERT_EQ((*entries)[i - 1], entry_at(i)) << "entry " << i;
  }
  auto stable = (*reopened)->stable().load();
  ASSERT_TRUE(stable.is_ok());
  EXPECT_EQ(stable->hard_state.term, Term(9));
}

TEST(BackendOutageTest, PostgresCrashUnderAWriterLosesNothingDurable) {
  auto server = test::PostgresServer::start();
  ASSERT_TRUE(server.is_ok()) << server.status();
  BackendOptions o;
  o.backend = "postgres";
  o.node_id = NodeId(1);
  o.postgres_url = (*server)->url();
  o.reconnect_interval = std::chrono::milliseconds(50);
  run_outage(**server, o, "127.0.0.1:" + std::to_string((*server)->port()));
}

TEST(BackendOutageTest, PostgresFastShutdownUnderAWriterLosesNothingDurable) {
  auto server = test::PostgresServer::start();
  ASSERT_TRUE(server.is_ok()) << server.status();
  BackendOptions o;
  o.backend = "postgres";
  o.node_id = NodeId(1);
  o.postgres_url = (*server)->url();
  o.reconnect_interval = std::chrono::milliseconds(50);
  run_outage(**server, o, "127.0.0.1:" + std::to_string((*server)->port()), /*clean_stop=*/true);
}

TEST(BackendOutageTest, RedisCrashUnderAWriterLosesNothingDurable) {
  auto server = test::RedisServer::start();
  ASSERT_TRUE(server.is_ok()) << server.status();
  BackendOptions o;
  o.backend = "redis";
  o.node_id = NodeId(1);
  o.redis_address = "127.0.0.1:" + std::to_string((*server)->port());
  o.reconnect_interval = std::chrono::milliseconds(50);
  run_outage(**server, o, o.redis_address);
}

TEST(BackendOutageTest, RedisCleanStopUnderAWriterLosesNothingDurable) {
  auto server = test::RedisServer::start();
  ASSERT_TRUE(server.is_ok()) << server.status();
  BackendOptions o;
  o.backend = "redis";
  o.node_id = NodeId(1);
  o.redis_address = "127.0.0.1:" + std::to_string((*server)->port());
  o.reconnect_interval = std::chrono::milliseconds(50);
  run_outage(**server, o, o.redis_address, /*clean_stop=*/true);
}

}  // namespace
}  // namespace synod::persistence
