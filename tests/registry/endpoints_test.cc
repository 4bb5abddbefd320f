// The registry endpoints end to end over HTTP, against the real StateStore.
#include <gtest/gtest.h>

#include "consensus/state/registry_resources.h"
#include "registry_test_util.h"

namespace synod::node::registry {
namespace {

using nlohmann::json;
using testing::RegistryServer;

const char* kWebService = R"({
  "ID": "web-1", "Name": "web", "Tags": ["v1", "primary"], "Port": 8080, "Address": "10.0.0.5",
  "Meta": {"env": "prod"},
  "Check": {"TTL": "30s", "Notes": "app heartbeat"}
})";

class RegistryEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.eventually([&] {
      return server.service().state().catalog().node("node-a") != nullptr;
    })) << "the agent registers its own node";
  }
  RegistryServer server;
};

TEST_F(RegistryEndpoints, AgentRegisterShowsEverywhere) {
  auto put = server.call("PUT", "/v1/agent/service/register", kWebService);
  ASSERT_EQ(put.status, 200) << put.body;

  auto services = server.get_json("/v1/agent/services");
  ASSERT_TRUE(services.contains("web-1"));
  EXPECT_EQ(services["web-1"]["Service"], "web");
  EXPECT_EQ(services["web-1"]["Port"], 8080);
  EXPECT_EQ(services["web-1"]["Tags"], json::array({"v1", "primary"}));

  auto one = server.get_json("/v1/agent/service/web-1");
  EXPECT_EQ(one["ID"], "web-1");

  auto checks = server.get_json("/v1/agent/checks");
  ASSERT_TRUE(checks.contains("service:web-1"));
  EXPECT_EQ(checks["service:web-1"]["Status"], "critical") << "TTL checks start critical";
  EXPECT_EQ(checks["service:web-1"]["Type"], "ttl");
  EXPECT_EQ(checks.at("serfHealth")["Status"], "passing");

  auto catalog = server.get_json("/v1/catalog/service/web");
  ASSERT_EQ(catalog.size(), 1u);
  EXPECT_EQ(catalog[0]["Node"], "node-a");
  EXPECT_EQ(catalog[0]["ServiceAddress"], "10.0.0.5");
  EXPECT_EQ(catalog[0]["ServicePort"], 8080);

  auto names = server.get_json("/v1/catalog/services");
  EXPECT_EQ(names["web"], json::array({"primary", "v1"}));

  auto health = server.get_json("/v1/health/service/web");
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0]["Service"]["ID"], "web-1");
  EXPECT_EQ(health[0]["Checks"].size(), 2u) << "serfHealth + the service check";
  EXPECT_TRUE(server.get_json("/v1/health/service/web?passing").empty());

  auto pass = server.call("PUT", "/v1/agent/check/pass/service:web-1?note=ok");
  ASSERT_EQ(pass.status, 200) << pass.body;
  ASSERT_TRUE(server.eventually([&] {
    const auto* c = server.service().state().catalog().check("node-a", "service:web-1");
    return c != nullptr && c->status() == proto::HEALTH_PASSING;
  }));
  auto passing = server.get_json("/v1/health/service/web?passing");
  ASSERT_EQ(passing.size(), 1u);
  auto with_output = server.get_json("/v1/health/checks/web");
  ASSERT_EQ(with_output.size(), 1u);
  EXPECT_EQ(with_output[0]["Output"], "ok");

  auto dereg = server.call("PUT", "/v1/agent/service/deregister/web-1");
  ASSERT_EQ(dereg.status, 200);
  EXPECT_TRUE(server.get_json("/v1/catalog/service/web").empty());
  EXPECT_FALSE(server.get_json("/v1/agent/checks").contains("service:web-1"));
}

TEST_F(RegistryEndpoints, ErrorCases) {
  EXPECT_EQ(server.call("GET", "/v1/agent/service/nope").status, 404);
  EXPECT_EQ(server.call("PUT", "/v1/agent/service/deregister/nope").status, 404);
  EXPECT_EQ(server.call("PUT", "/v1/agent/check/pass/nope").status, 404);
  EXPECT_EQ(server.call("PUT", "/v1/agent/service/register", "{not json").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/agent/service/register", R"({"Port": 1})").status, 400)
      << "missing Name";
  EXPECT_EQ(
      server.call("PUT", "/v1/agent/service/register", R"({"Name": "x", "Port": "80"})").status,
      400);
  EXPECT_EQ(server
                .call("PUT", "/v1/agent/service/register",
                      R"({"Name": "x", "Check": {"Args": ["/bin/true"], "Interval": "1s"}})")
                .status,
            400)
      << "script checks are off by default";
  EXPECT_EQ(server
                .call("PUT", "/v1/agent/service/register",
                      R"({"Name": "x", "Check": {"HTTP": "http://127.0.0.1:1/"}})")
                .status,
            400)
      << "HTTP check without Interval";
  EXPECT_EQ(server.call("PUT", "/v1/catalog/register", R"({"Address": "1.2.3.4"})").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/session/create", R"({"TTL": "5s"})").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/session/create", R"({"TTL": "90000s"})").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/session/create", R"({"Behavior": "explode"})").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/session/renew/00000000-0000-0000-0000-000000000000").status,
            404);
  EXPECT_EQ(server.call("GET", "/v1/catalog/services?filter=Service%20%3D%3D").status, 400);
  EXPECT_EQ(server.call("GET", "/v1/health/state/bogus").status, 400);
  EXPECT_EQ(server.call("GET", "/v1/synod/select/nope").status, 404);
}

TEST_F(RegistryEndpoints, CatalogRegisterFiltersAndDeregister) {
  for (int i = 1; i <= 3; ++i) {
    json body = {{"Node", "ext-" + std::to_string(i)},
                 {"Address", "10.1.0." + std::to_string(i)},
                 {"NodeMeta", {{"rack", i == 1 ? "r1" : "r2"}}},
                 {"Service",
                  {{"Service", "db"},
                   {"ID", "db"},
                   {"Port", 5432},
                   {"Tags", {i == 3 ? "replica" : "primary"}}}},
                 {"Check",
                  {{"CheckID", "db-alive"},
                   {"Name", "db alive"},
                   {"ServiceID", "db"},
                   {"Status", i == 2 ? "critical" : "passing"}}}};
    auto put = server.call("PUT", "/v1/catalog/register", body.dump());
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(put.body, "true");
  }
  EXPECT_EQ(server.get_json("/v1/catalog/service/db").size(), 3u);
  EXPECT_EQ(server.get_json("/v1/catalog/service/db?tag=replica").size(), 1u);
  EXPECT_EQ(server.get_json("/v1/catalog/service/db?node-meta=rack:r2").size(), 2u);
  EXPECT_EQ(server.get_json("/v1/health/service/db?passing").size(), 2u);
  EXPECT_EQ(server.get_json("/v1/health/state/critical").size(), 1u);
  auto filtered = server.get_json("/v1/health/service/db?filter=Checks.Status%20%3D%3D%20critical");
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0]["Node"]["Node"], "ext-2");
  auto by_meta = server.get_json("/v1/catalog/nodes?filter=Meta.rack%20%3D%3D%20r1");
  ASSERT_EQ(by_meta.size(), 1u);
  EXPECT_EQ(by_meta[0]["Node"], "ext-1");
  auto node = server.get_json("/v1/catalog/node/ext-3");
  EXPECT_EQ(node["Node"]["Address"], "10.1.0.3");
  EXPECT_TRUE(node["Services"].contains("db"));
  EXPECT_TRUE(server.get_json("/v1/catalog/node/missing").is_null());
  EXPECT_EQ(server.get_json("/v1/catalog/datacenters"), json::array({"dc1"}));

  auto dereg = server.call("PUT", "/v1/catalog/deregister", R"({"Node": "ext-1"})");
  ASSERT_EQ(dereg.status, 200);
  EXPECT_EQ(server.get_json("/v1/catalog/service/db").size(), 2u);
  EXPECT_EQ(server.get_json("/v1/health/node/ext-1").size(), 0u);
}

TEST_F(RegistryEndpoints, SessionLifecycle) {
  auto created =
      server.call("PUT", "/v1/session/create",
                  R"({"Name": "lock", "TTL": "15s", "LockDelay": "1s", "Behavior": "delete"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = json::parse(created.body)["ID"];
  ASSERT_EQ(id.size(), 36u);
  auto info = server.get_json("/v1/session/info/" + id);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0]["Name"], "lock");
  EXPECT_EQ(info[0]["Node"], "node-a");
  EXPECT_EQ(info[0]["TTL"], "15s");
  EXPECT_EQ(info[0]["Behavior"], "delete");
  EXPECT_EQ(info[0]["LockDelay"], 1000000000ull);
  EXPECT_EQ(info[0]["NodeChecks"], json::array({"serfHealth"}));
  EXPECT_EQ(server.get_json("/v1/session/list").size(), 1u);
  EXPECT_EQ(server.get_json("/v1/session/node/node-a").size(), 1u);
  EXPECT_EQ(server.on_loop([&] { return server.service().session_timers(); }), 1u)
      << "the leader times the TTL";

  auto renewed = server.call("PUT", "/v1/session/renew/" + id);
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  EXPECT_EQ(json::parse(renewed.body)[0]["ID"], id);

  ASSERT_EQ(server.call("PUT", "/v1/session/destroy/" + id).body, "true");
  EXPECT_TRUE(server.get_json("/v1/session/info/" + id).empty());
  EXPECT_EQ(server.on_loop([&] { return server.service().session_timers(); }), 0u);
  EXPECT_EQ(server.call("PUT", "/v1/session/create", R"({"Node": "ghost"})").status / 100, 4)
      << "unknown node";
}

TEST_F(RegistryEndpoints, MaintenanceModeFailsTheService) {
  ASSERT_EQ(
      server.call("PUT", "/v1/agent/service/register", R"({"ID": "api", "Name": "api", "Port": 1})")
          .status,
      200);
  EXPECT_EQ(server.get_json("/v1/health/service/api?passing").size(), 1u);
  EXPECT_EQ(
      server.call("PUT", "/v1/agent/service/maintenance/api?enable=true&reason=deploy").status,
      200);
  EXPECT_TRUE(server.get_json("/v1/health/service/api?passing").empty());
  auto checks = server.get_json("/v1/agent/checks");
  EXPECT_EQ(checks["_service_maintenance:api"]["Notes"], "deploy");
  EXPECT_EQ(server.call("PUT", "/v1/agent/service/maintenance/api?enable=false").status, 200);
  EXPECT_EQ(server.get_json("/v1/health/service/api?passing").size(), 1u);
  EXPECT_EQ(server.call("PUT", "/v1/agent/maintenance").status, 400);
  EXPECT_EQ(server.call("PUT", "/v1/agent/maintenance?enable=true").status, 200);
  EXPECT_TRUE(server.get_json("/v1/health/service/api?passing").empty());
}

TEST_F(RegistryEndpoints, BlockingQueryAnswersWhenTheServiceChanges) {
  ASSERT_EQ(
      server.call("PUT", "/v1/agent/service/register", R"({"ID": "w", "Name": "web"})").status,
      200);
  auto first = server.call("GET", "/v1/health/service/web");
  const std::string index = first.header("x-consul-index");
  ASSERT_FALSE(index.empty());
  EXPECT_EQ(first.header("x-consul-knownleader"), "true");
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    RegistryServer* s = &server;
    s->call("PUT", "/v1/agent/service/register", R"({"ID": "w2", "Name": "web"})");
  });
  auto blocked = server.call("GET", "/v1/health/service/web?index=" + index + "&wait=30s");
  writer.join();
  EXPECT_EQ(blocked.status, 200);
  EXPECT_GT(std::stoull(blocked.header("x-consul-index")), std::stoull(index));
  EXPECT_EQ(json::parse(blocked.body).size(), 2u);
}

TEST_F(RegistryEndpoints, WatcherOfOneServiceIsNotWokenByAnother) {
  ASSERT_EQ(
      server.call("PUT", "/v1/agent/service/register", R"({"ID": "w", "Name": "web"})").status,
      200);
  std::atomic<int> woken{0};
  server.on_loop([&] {
    const auto web = consensus::state::resources::service("web");
    server.hub().watch({web}, server.service().state().catalog().index(web),
                       std::chrono::minutes(5),
                       [&](http::WatchHub::WakeReason) { woken.fetch_add(1); });
    return 0;
  });
  ASSERT_EQ(server.call("PUT", "/v1/agent/service/register", R"({"ID": "d", "Name": "db"})").status,
            200);
  ASSERT_EQ(server
                .call("PUT", "/v1/agent/check/register",
                      R"({"Name": "db-ttl", "ServiceID": "d", "TTL": "30s"})")
                .status,
            200);
  server.on_loop([] { return 0; });  // drain the hub's posted wake-ups
  server.on_loop([] { return 0; });
  EXPECT_EQ(woken.load(), 0) << "writes to db must not wake web's watchers";
  ASSERT_EQ(
      server.call("PUT", "/v1/agent/service/register", R"({"ID": "w3", "Name": "web"})").status,
      200);
  EXPECT_TRUE(server.eventually([&] { return woken.load() == 1; }));
}

TEST_F(RegistryEndpoints, SelectPicksHealthyInstancesByStrategy) {
  for (int i = 0; i < 3; ++i) {
    json body = {{"ID", "api-" + std::to_string(i)}, {"Name", "api"}, {"Port", 9000 + i}};
    ASSERT_EQ(server.call("PUT", "/v1/agent/service/register", body.dump()).status, 200);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    auto picked = server.get_json("/v1/synod/select/api?strategy=round_robin");
    EXPECT_EQ(picked["Strategy"], "round_robin");
    EXPECT_EQ(picked["Healthy"], 3);
    seen.insert(picked["ServiceID"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), 3u);
  auto a = server.get_json("/v1/synod/select/api?strategy=consistent_hash&key=user-7");
  auto b = server.get_json("/v1/synod/select/api?strategy=consistent_hash&key=user-7");
  EXPECT_EQ(a["ServiceID"], b["ServiceID"]);
  EXPECT_EQ(server.get_json("/v1/synod/select/api")["Strategy"], "p2c_ewma");
  EXPECT_EQ(server.call("GET", "/v1/synod/select/api?strategy=nope").status / 100, 4);
}

TEST_F(RegistryEndpoints, AgentChecksUpdateAndReplaceExistingChecks) {
  ASSERT_EQ(server
                .call("PUT", "/v1/agent/service/register",
                      R"({"ID": "q", "Name": "queue", "Checks": [{"TTL": "30s"}, {"TTL": "30s"}]})")
                .status,
            200);
  auto checks = server.get_json("/v1/agent/checks");
  EXPECT_TRUE(checks.contains("service:q:1"));
  EXPECT_TRUE(checks.contains("service:q:2"));
  EXPECT_EQ(server
                .call("PUT", "/v1/agent/check/register",
                      R"({"Name": "orphan", "ServiceID": "nope", "TTL": "10s"})")
                .status,
            400);
  ASSERT_EQ(server
                .call("PUT", "/v1/agent/check/update/service:q:1",
                      R"({"Status": "warning", "Output": "slow"})")
                .status,
            200);
  EXPECT_EQ(
      server.call("PUT", "/v1/agent/check/update/service:q:1", R"({"Status": "bogus"})").status,
      400);
  ASSERT_TRUE(server.eventually([&] {
    const auto* c = server.service().state().catalog().check("node-a", "service:q:1");
    return c != nullptr && c->status() == proto::HEALTH_WARNING && c->output() == "slow";
  }));
  EXPECT_EQ(server.get_json("/v1/health/state/warning").size(), 1u);
  EXPECT_GE(server.get_json("/v1/health/state/any").size(), 3u);
  // Re-register with one check and ?replace-existing-checks: the others go.
  ASSERT_EQ(server
                .call("PUT", "/v1/agent/service/register?replace-existing-checks",
                      R"({"ID": "q", "Name": "queue", "Check": {"CheckID": "only", "TTL": "30s"}})")
                .status,
            200);
  ASSERT_TRUE(server.eventually([&] {
    return server.service().state().catalog().check("node-a", "service:q:1") == nullptr &&
           server.service().state().catalog().check("node-a", "service:q:2") == nullptr;
  }));
  EXPECT_TRUE(server.get_json("/v1/agent/checks").contains("only"));
  ASSERT_EQ(server.call("PUT", "/v1/agent/check/deregister/only").status, 200);
  EXPECT_FALSE(server.get_json("/v1/agent/checks").contains("only"));
}

TEST(RegistrySessions, TtlExpiryInvalidatesAndFailoverRestartsTimers) {
  auto options = testing::test_options();
  options.session_ttl_multiplier = 0.02;  // 10 s TTL -> 200 ms here
  RegistryServer server(options);
  ASSERT_TRUE(server.eventually(
      [&] { return server.service().state().catalog().node("node-a") != nullptr; }));
  auto created = server.call("PUT", "/v1/session/create", R"({"TTL": "10s"})");
  ASSERT_EQ(created.status, 200);
  const std::string id = json::parse(created.body)["ID"];
  // Lose leadership: no timers run here, so the session survives any wait.
  server.on_loop([&] {
    server.consensus().set_leader(false, 2);
    return 0;
  });
  ASSERT_TRUE(server.eventually([&] { return server.service().session_timers() == 0; }));
  EXPECT_NE(server.on_loop([&] { return server.service().state().sessions().find(id); }), nullptr);
  // Leader again (new term): the timer restarts at full length and expires.
  server.on_loop([&] {
    server.consensus().set_leader(true, 3);
    return 0;
  });
  EXPECT_TRUE(server.eventually([&] {
    return server.service().state().sessions().find(id) == nullptr;
  })) << "the session expires after 2 x TTL with no renew";
}

}  // namespace
}  // namespace synod::node::registry
