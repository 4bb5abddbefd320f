// The Consul KV and txn endpoints over real sockets, against MemoryKvBackend.
#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/metrics.h"
#include "node/http/base64.h"
#include "node/http/kv_handlers.h"
#include "node/http/memory_kv_backend.h"
#include "tests/http/http_test_util.h"

namespace synod::node::http {
namespace {

using nlohmann::json;
using testing::Client;
using testing::ClientResponse;
using testing::TestServer;

class KvTest : public ::testing::Test {
 protected:
  KvTest() : hub_(server_.io()), backend_(&hub_) {
    register_kv_routes(server_.router(), backend_, hub_);
    server_.start();
  }
  ~KvTest() override { server_.stop(); }

  std::uint64_t index_header(const ClientResponse& res) {
    return std::stoull(res.header("x-consul-index"));
  }
  // Waits (bounded by the test timeout) until `n` readers are parked.
  void await_parked(std::size_t n) {
    while (hub_.parked() < n) std::this_thread::yield();
  }
  double wakeups(const char* reason) {
    return metrics::Registry::global()
        .counter("synod_http_blocking_wakeups_total", "", {{"reason", reason}})
        .value();
  }

  TestServer server_;
  WatchHub hub_;
  MemoryKvBackend backend_;
};

TEST_F(KvTest, PutThenGetReturnsConsulShape) {
  Client c(server_.port());
  auto put = c.request("PUT", "/v1/kv/app/config?flags=42", "hello");
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(put.body, "true");
  auto get = c.request("GET", "/v1/kv/app/config");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.header("content-type"), "application/json");
  auto body = json::parse(get.body);
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0]["Key"], "app/config");
  EXPECT_EQ(body[0]["Value"], base64_encode("hello"));
  EXPECT_EQ(body[0]["Flags"], 42);
  EXPECT_EQ(body[0]["LockIndex"], 0);
  EXPECT_EQ(body[0]["CreateIndex"], body[0]["ModifyIndex"]);
  EXPECT_FALSE(body[0].contains("Session"));
  EXPECT_EQ(index_header(get), body[0]["ModifyIndex"].get<std::uint64_t>());
  EXPECT_EQ(get.header("x-consul-knownleader"), "true");
  EXPECT_EQ(get.header("x-consul-lastcontact"), "0");
}

TEST_F(KvTest, MissingKeyIs404WithEmptyBodyAndIndex) {
  Client c(server_.port());
  auto res = c.request("GET", "/v1/kv/nope");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body, "");
  EXPECT_FALSE(res.header("x-consul-index").empty());
}

TEST_F(KvTest, EmptyValueIsNullAndRawReturnsBytes) {
  Client c(server_.port());
  ASSERT_EQ(c.request("PUT", "/v1/kv/empty", "").body, "true");
  EXPECT_TRUE(json::parse(c.request("GET", "/v1/kv/empty").body)[0]["Value"].is_null());
  std::string binary("a\0b\xff", 4);
  ASSERT_EQ(c.request("PUT", "/v1/kv/bin", binary).body, "true");
  auto raw = c.request("GET", "/v1/kv/bin?raw");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.body, binary);
  EXPECT_FALSE(raw.header("x-consul-index").empty());
}

TEST_F(KvTest, PercentEncodedKeysAreDecoded) {
  Client c(server_.port());
  ASSERT_EQ(c.request("PUT", "/v1/kv/a%20b/c%2Fd", "v").body, "true");
  auto body = json::parse(c.request("GET", "/v1/kv/a%20b/c/d").body);
  EXPECT_EQ(body[0]["Key"], "a b/c/d");
}

TEST_F(KvTest, CasCreatesOnlyWhenAbsentAndUpdatesOnlyAtIndex) {
  Client c(server_.port());
  EXPECT_EQ(c.request("PUT", "/v1/kv/k?cas=0", "one").body, "true");
  EXPECT_EQ(c.request("PUT", "/v1/kv/k?cas=0", "two").body, "false");
  auto index =
      json::parse(c.request("GET", "/v1/kv/k").body)[0]["ModifyIndex"].get<std::uint64_t>();
  EXPECT_EQ(c.request("PUT", "/v1/kv/k?cas=" + std::to_string(index + 5), "three").body, "false");
  EXPECT_EQ(c.request("PUT", "/v1/kv/k?cas=" + std::to_string(index), "four").body, "true");
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/k").body)[0]["Value"], base64_encode("four"));
}

TEST_F(KvTest, RecurseKeysAndSeparator) {
  Client c(server_.port());
  for (const char* k : {"web/a", "web/b/x", "web/b/y", "web2", "db/z"}) {
    ASSERT_EQ(c.request("PUT", std::string("/v1/kv/") + k, k).body, "true");
  }
  auto list = json::parse(c.request("GET", "/v1/kv/web/?recurse").body);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["Key"], "web/a");
  EXPECT_EQ(list[2]["Key"], "web/b/y");
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/web?keys").body),
            json({"web/a", "web/b/x", "web/b/y", "web2"}));
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/web/?keys&separator=/").body),
            json({"web/a", "web/b/"}));
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/?keys&separator=/").body),
            json({"db/", "web/", "web2"}));
  EXPECT_EQ(c.request("GET", "/v1/kv/none/?keys").status, 404);
  EXPECT_EQ(c.request("GET", "/v1/kv/none/?recurse").status, 404);
}

TEST_F(KvTest, DeleteOneRecursiveAndCas) {
  Client c(server_.port());
  for (const char* k : {"t/a", "t/b", "t/c/d", "u"})
    c.request("PUT", std::string("/v1/kv/") + k, "v");
  EXPECT_EQ(c.request("DELETE", "/v1/kv/t/a").body, "true");
  EXPECT_EQ(c.request("GET", "/v1/kv/t/a").status, 404);
  auto index =
      json::parse(c.request("GET", "/v1/kv/u").body)[0]["ModifyIndex"].get<std::uint64_t>();
  EXPECT_EQ(c.request("DELETE", "/v1/kv/u?cas=" + std::to_string(index + 1)).body, "false");
  EXPECT_EQ(c.request("GET", "/v1/kv/u").status, 200);
  EXPECT_EQ(c.request("DELETE", "/v1/kv/u?cas=" + std::to_string(index)).body, "true");
  EXPECT_EQ(c.request("DELETE", "/v1/kv/t?recurse").body, "true");
  EXPECT_EQ(c.request("GET", "/v1/kv/t?recurse").status, 404);
  EXPECT_EQ(c.request("DELETE", "/v1/kv/").status, 400);
}

TEST_F(KvTest, AcquireAndReleaseLocks) {
  Client c(server_.port());
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?acquire=s1", "held").body, "true");
  auto e = json::parse(c.request("GET", "/v1/kv/lock").body)[0];
  EXPECT_EQ(e["Session"], "s1");
  EXPECT_EQ(e["LockIndex"], 1);
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?acquire=s2", "x").body, "false");
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?release=s2", "x").body, "false");
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?acquire=s1", "again").body, "true");
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/lock").body)[0]["LockIndex"], 1);
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?release=s1", "free").body, "true");
  e = json::parse(c.request("GET", "/v1/kv/lock").body)[0];
  EXPECT_FALSE(e.contains("Session"));
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?acquire=s2", "mine").body, "true");
  EXPECT_EQ(json::parse(c.request("GET", "/v1/kv/lock").body)[0]["LockIndex"], 2);
  backend_.invalidate_session("dead");
  auto dead = c.request("PUT", "/v1/kv/other?acquire=dead", "x");
  EXPECT_EQ(dead.status, 400);
  EXPECT_TRUE(json::parse(dead.body).contains("error"));
  EXPECT_EQ(c.request("PUT", "/v1/kv/lock?acquire=s1&release=s1", "x").status, 400);
}

TEST_F(KvTest, BadParametersAre400Json) {
  Client c(server_.port());
  for (const char* target : {"/v1/kv/k?cas=abc", "/v1/kv/k?flags=-1", "/v1/kv/?flags=1"}) {
    auto res = c.request("PUT", target, "v");
    EXPECT_EQ(res.status, 400) << target;
    EXPECT_TRUE(json::parse(res.body).contains("error")) << target;
  }
  for (const char* target :
       {"/v1/kv/k?index=x", "/v1/kv/k?index=1&wait=5", "/v1/kv/k?stale&consistent"}) {
    auto res = c.request("GET", target);
    EXPECT_EQ(res.status, 400) << target;
    EXPECT_TRUE(json::parse(res.body).contains("error")) << target;
  }
  EXPECT_EQ(c.request("POST", "/v1/kv/k", "v").status, 405);
}

TEST_F(KvTest, OversizeValueIs413) {
  Client c(server_.port());
  auto res = c.request("PUT", "/v1/kv/big", std::string(512 * 1024 + 1, 'x'));
  EXPECT_EQ(res.status, 413);
  EXPECT_TRUE(json::parse(res.body).contains("error"));
}

TEST_F(KvTest, BackendUnavailableIs503Json) {
  Client c(server_.port());
  backend_.fail_with(unavailable("no leader"));
  auto res = c.request("GET", "/v1/kv/k");
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(json::parse(res.body)["error"], "no leader");
  EXPECT_EQ(c.request("PUT", "/v1/kv/k", "v").status, 503);
  backend_.fail_with(Status::ok());
  EXPECT_EQ(c.request("PUT", "/v1/kv/k", "v").status, 200);
}

json txn_op(const std::string& verb, const std::string& key, const std::string& value = "",
            std::uint64_t index = 0) {
  json kv{{"Verb", verb}, {"Key", key}};
  if (!value.empty()) kv["Value"] = base64_encode(value);
  if (index) kv["Index"] = index;
  return json{{"KV", kv}};
}

TEST_F(KvTest, TxnAppliesAllAndReturnsResults) {
  Client c(server_.port());
  json ops = json::array({txn_op("set", "x", "1"), txn_op("set", "y", "2"), txn_op("get", "x")});
  auto res = c.request("PUT", "/v1/txn", ops.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = json::parse(res.body);
  EXPECT_TRUE(body["Errors"].is_null());
  ASSERT_EQ(body["Results"].size(), 3u);
  EXPECT_TRUE(body["Results"][0]["KV"]["Value"].is_null());  // writes come back without values
  EXPECT_EQ(body["Results"][2]["KV"]["Value"], base64_encode("1"));
  EXPECT_EQ(body["Results"][0]["KV"]["ModifyIndex"], body["Results"][1]["KV"]["ModifyIndex"]);
  EXPECT_EQ(c.request("GET", "/v1/kv/y").status, 200);
}

TEST_F(KvTest, TxnFailureRollsBackWith409) {
  Client c(server_.port());
  c.request("PUT", "/v1/kv/x", "1");
  json ops = json::array(
      {txn_op("set", "new", "v"), txn_op("cas", "x", "2", 9999), txn_op("check-not-exists", "x")});
  auto res = c.request("PUT", "/v1/txn", ops.dump());
  ASSERT_EQ(res.status, 409);
  auto body = json::parse(res.body);
  EXPECT_TRUE(body["Results"].is_null());
  ASSERT_EQ(body["Errors"].size(), 2u);
  EXPECT_EQ(body["Errors"][0]["OpIndex"], 1);
  EXPECT_EQ(body["Errors"][1]["OpIndex"], 2);
  EXPECT_FALSE(body["Errors"][0]["What"].get<std::string>().empty());
  EXPECT_EQ(c.request("GET", "/v1/kv/new").status, 404);
}

TEST_F(KvTest, TxnTreeAndDeleteVerbs) {
  Client c(server_.port());
  for (const char* k : {"p/a", "p/b", "q"}) c.request("PUT", std::string("/v1/kv/") + k, k);
  auto tree =
      json::parse(c.request("PUT", "/v1/txn", json::array({txn_op("get-tree", "p/")}).dump()).body);
  ASSERT_EQ(tree["Results"].size(), 2u);
  EXPECT_EQ(tree["Results"][1]["KV"]["Value"], base64_encode("p/b"));
  auto del = c.request("PUT", "/v1/txn",
                       json::array({txn_op("delete-tree", "p/"), txn_op("delete", "q")}).dump());
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(json::parse(del.body)["Results"].size(), 0u);
  EXPECT_EQ(c.request("GET", "/v1/kv/?recurse").status, 404);
}

TEST_F(KvTest, TxnBadInput) {
  Client c(server_.port());
  EXPECT_EQ(c.request("PUT", "/v1/txn", "{not json").status, 400);
  EXPECT_EQ(c.request("PUT", "/v1/txn", "{}").status, 400);
  EXPECT_EQ(c.request("PUT", "/v1/txn", json::array({txn_op("frobnicate", "k")}).dump()).status,
            400);
  EXPECT_EQ(c.request("PUT", "/v1/txn", R"([{"KV":{"Verb":"set","Key":"k","Value":"!!"}}])").status,
            400);
  EXPECT_EQ(c.request("PUT", "/v1/txn", R"([{"Node":{"Verb":"get"}}])").status, 400);
  json many = json::array();
  for (int i = 0; i < 65; ++i) many.push_back(txn_op("get", "k"));
  EXPECT_EQ(c.request("PUT", "/v1/txn", many.dump()).status, 413);
}

TEST_F(KvTest, BlockingQueryReturnsOnWrite) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/watched", "v1");
  auto first = writer.request("GET", "/v1/kv/watched");
  std::uint64_t index = index_header(first);
  auto blocked = std::async(std::launch::async, [&] {
    Client reader(server_.port());
    return reader.request("GET", "/v1/kv/watched?index=" + std::to_string(index) + "&wait=5m");
  });
  await_parked(1);
  writer.request("PUT", "/v1/kv/watched", "v2");
  auto res = blocked.get();
  EXPECT_EQ(res.status, 200);
  EXPECT_GT(index_header(res), index);
  EXPECT_EQ(json::parse(res.body)[0]["Value"], base64_encode("v2"));
}

TEST_F(KvTest, BlockingQueryReturnsCurrentStateOnTimeout) {
  Client c(server_.port());
  c.request("PUT", "/v1/kv/quiet", "v");
  std::uint64_t index = index_header(c.request("GET", "/v1/kv/quiet"));
  auto res = c.request("GET", "/v1/kv/quiet?index=" + std::to_string(index) + "&wait=50ms");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(index_header(res), index);
}

TEST_F(KvTest, BlockingQueryWithStaleIndexReturnsAtOnce) {
  Client c(server_.port());
  c.request("PUT", "/v1/kv/k", "v1");
  c.request("PUT", "/v1/kv/k", "v2");
  auto res = c.request("GET", "/v1/kv/k?index=1&wait=10m");
  EXPECT_EQ(json::parse(res.body)[0]["Value"], base64_encode("v2"));
}

TEST_F(KvTest, WatcherOnOneKeyIsNotWokenByAnother) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/a", "a1");
  std::uint64_t index = index_header(writer.request("GET", "/v1/kv/a"));
  double changed_before = wakeups("changed");
  auto blocked = std::async(std::launch::async, [&] {
    Client reader(server_.port());
    return reader.request("GET", "/v1/kv/a?index=" + std::to_string(index) + "&wait=5m");
  });
  await_parked(1);
  writer.request("PUT", "/v1/kv/b", "b1");
  writer.request("PUT", "/v1/kv/ab", "x");
  writer.request("PUT", "/v1/kv/a", "a2");
  auto res = blocked.get();
  EXPECT_EQ(json::parse(res.body)[0]["Value"], base64_encode("a2"));
  // Only the write to "a" woke the reader: b and ab never did.
  EXPECT_EQ(wakeups("changed") - changed_before, 1.0);
}

TEST_F(KvTest, PrefixWatcherWokenByKeyUnderIt) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/svc/one", "1");
  std::uint64_t index = index_header(writer.request("GET", "/v1/kv/svc/?recurse"));
  auto blocked = std::async(std::launch::async, [&] {
    Client reader(server_.port());
    return reader.request("GET", "/v1/kv/svc/?keys&index=" + std::to_string(index));
  });
  await_parked(1);
  writer.request("PUT", "/v1/kv/other", "x");
  writer.request("PUT", "/v1/kv/svc/two", "2");
  auto res = blocked.get();
  EXPECT_EQ(json::parse(res.body), json({"svc/one", "svc/two"}));
}

TEST_F(KvTest, DeletingNewestKeyStillWakesPrefixWatcher) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/d/old", "1");
  writer.request("PUT", "/v1/kv/d/new", "2");
  std::uint64_t index = index_header(writer.request("GET", "/v1/kv/d/?recurse"));
  auto blocked = std::async(std::launch::async, [&] {
    Client reader(server_.port());
    return reader.request("GET", "/v1/kv/d/?recurse&index=" + std::to_string(index));
  });
  await_parked(1);
  writer.request("DELETE", "/v1/kv/d/new");
  auto res = blocked.get();
  EXPECT_GT(index_header(res), index);
  EXPECT_EQ(json::parse(res.body).size(), 1u);
}

TEST_F(KvTest, ParkedReaderIsDroppedWhenItsClientDisconnects) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/gone", "1");
  std::uint64_t index = index_header(writer.request("GET", "/v1/kv/gone"));
  {
    Client reader(server_.port());
    reader.send_raw("GET /v1/kv/gone?index=" + std::to_string(index) +
                    "&wait=10m HTTP/1.1\r\nHost: x\r\n\r\n");
    await_parked(1);
  }  // the reader closes its socket
  while (hub_.parked() > 0) std::this_thread::yield();
  EXPECT_EQ(writer.request("GET", "/v1/kv/gone").status, 200);  // the server carries on
}

TEST_F(KvTest, ManyParkedReadersAllWake) {
  Client writer(server_.port());
  writer.request("PUT", "/v1/kv/hot", "1");
  std::uint64_t index = index_header(writer.request("GET", "/v1/kv/hot"));
  constexpr int kReaders = 50;
  std::vector<std::future<ClientResponse>> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(std::async(std::launch::async, [&] {
      Client reader(server_.port());
      return reader.request("GET", "/v1/kv/hot?index=" + std::to_string(index));
    }));
  }
  await_parked(kReaders);
  writer.request("PUT", "/v1/kv/hot", "2");
  for (auto& r : readers) EXPECT_GT(index_header(r.get()), index);
}

}  // namespace
}  // namespace synod::node::http
