// Pure pieces of node/http: query parsing, durations, base64, key folding,
// and the WatchHub driven directly.
#include <gtest/gtest.h>

#include "node/http/base64.h"
#include "node/http/kv_handlers.h"
#include "node/http/query.h"
#include "node/http/watch_hub.h"

namespace synod::node::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(GoDuration, ParsesConsulWaitValues) {
  EXPECT_EQ(*parse_go_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(*parse_go_duration("10s"), std::chrono::seconds(10));
  EXPECT_EQ(*parse_go_duration("300ms"), milliseconds(300));
  EXPECT_EQ(*parse_go_duration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(*parse_go_duration("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_go_duration("250us"), std::chrono::microseconds(250));
  EXPECT_EQ(*parse_go_duration("0"), nanoseconds(0));
  for (const char* bad : {"", "5", "m", "-5s", "5x", "1..5s", "s5"}) {
    EXPECT_FALSE(parse_go_duration(bad).is_ok()) << bad;
  }
}

TEST(QueryString, DecodesPairsAndFlags) {
  auto q = parse_query("recurse&index=12&separator=%2F&name=a+b&empty=");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->find("recurse")->second, "");
  EXPECT_EQ(q->find("index")->second, "12");
  EXPECT_EQ(q->find("separator")->second, "/");
  EXPECT_EQ(q->find("name")->second, "a b");
  EXPECT_FALSE(parse_query("a=%4").is_ok());
  EXPECT_FALSE(parse_query("a=%zz").is_ok());
  EXPECT_EQ(*percent_decode("a+b%20c", false), "a+b c");
}

TEST(QueryOptionsTest, CapsWaitAndRejectsConflicts) {
  HttpRequest req;
  req.query = *parse_query("index=7&wait=1h&stale");
  auto o = parse_query_options(req);
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->min_index, 7u);
  EXPECT_EQ(o->wait, kMaxBlockingWait);
  EXPECT_EQ(o->consistency, Consistency::kStale);
  req.query = *parse_query("stale&consistent");
  EXPECT_FALSE(parse_query_options(req).is_ok());
  req.query = *parse_query("");
  EXPECT_EQ(parse_query_options(req)->wait, kDefaultBlockingWait);
  EXPECT_FALSE(parse_query_options(req)->blocking());
}

TEST(U64, RejectsOverflowAndSigns) {
  EXPECT_EQ(*parse_u64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_u64("18446744073709551616").is_ok());
  EXPECT_FALSE(parse_u64("-1").is_ok());
  EXPECT_FALSE(parse_u64("").is_ok());
}

TEST(Base64, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(*base64_decode(base64_encode(data)), data);
    data.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("a").is_ok());
  EXPECT_FALSE(base64_decode("ab$=").is_ok());
}

TEST(FoldKeys, CutsAtSeparatorAfterPrefix) {
  std::vector<KvEntry> entries;
  for (const char* k : {"a/b/c", "a/b/d", "a/e", "a/f/"}) entries.push_back(KvEntry{k});
  EXPECT_EQ(fold_keys(entries, "a/", "/"), (std::vector<std::string>{"a/b/", "a/e", "a/f/"}));
  EXPECT_EQ(fold_keys(entries, "a/", ""),
            (std::vector<std::string>{"a/b/c", "a/b/d", "a/e", "a/f/"}));
}

class WatchHubTest : public ::testing::Test {
 protected:
  // Runs the io_context until nothing is left to do.
  void drain() {
    io_.restart();
    io_.run();
  }
  asio::io_context io_;
  WatchHub hub_{io_};
};

TEST_F(WatchHubTest, WakesOnlyWatchersOfTheResourceAboveTheirIndex) {
  std::vector<std::string> woken;
  auto record = [&](std::string name) {
    return [&woken, name](WatchHub::WakeReason r) {
      woken.push_back(name + (r == WatchHub::WakeReason::kChanged ? ":changed" : ":other"));
    };
  };
  hub_.watch({"kv:a"}, 5, std::chrono::hours(1), record("a"));
  hub_.watch({"kv:b"}, 5, std::chrono::hours(1), record("b"));
  hub_.watch({"kv:a"}, 9, std::chrono::hours(1), record("a9"));
  hub_.notify("kv:a", 7);
  io_.poll();
  EXPECT_EQ(woken, (std::vector<std::string>{"a:changed"}));
  EXPECT_EQ(hub_.parked(), 2u);
}

TEST_F(WatchHubTest, PrefixNotificationReachesEveryPrefix) {
  int woken = 0;
  auto count = [&](WatchHub::WakeReason) { ++woken; };
  hub_.watch({"kv-prefix:"}, 0, std::chrono::hours(1), count);
  hub_.watch({"kv-prefix:sv"}, 0, std::chrono::hours(1), count);
  hub_.watch({"kv-prefix:svc/x"}, 0, std::chrono::hours(1), count);
  hub_.watch({"kv-prefix:db"}, 0, std::chrono::hours(1), count);
  hub_.notify_prefixes("kv-prefix:", "svc/x", 1);
  io_.poll();
  EXPECT_EQ(woken, 3);
}

TEST_F(WatchHubTest, TimeoutAndCancelWakeOnce) {
  std::vector<WatchHub::WakeReason> reasons;
  auto record = [&](WatchHub::WakeReason r) { reasons.push_back(r); };
  hub_.watch({"x"}, 0, milliseconds(1), record);
  auto id = hub_.watch({"y"}, 0, std::chrono::hours(1), record);
  hub_.cancel(id);
  hub_.cancel(id);
  drain();
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0], WatchHub::WakeReason::kCancelled);
  EXPECT_EQ(reasons[1], WatchHub::WakeReason::kTimeout);
  EXPECT_EQ(hub_.parked(), 0u);
}

TEST_F(WatchHubTest, TwentyThousandWatchersOnOneResource) {
  int woken = 0;
  for (int i = 0; i < 20000; ++i) {
    hub_.watch({"services"}, 1, std::chrono::minutes(5), [&](WatchHub::WakeReason r) {
      if (r == WatchHub::WakeReason::kChanged) ++woken;
    });
  }
  io_.poll();
  EXPECT_EQ(hub_.parked(), 20000u);
  hub_.notify("services", 2);
  drain();
  EXPECT_EQ(woken, 20000);
  EXPECT_EQ(hub_.parked(), 0u);
}

}  // namespace
}  // namespace synod::node::http
