// The registry tables (catalog nodes/services/checks and sessions) through
// the state store: commands, Consul's cascade rules, per-resource indexes,
// KV lock interplay, records and snapshots.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <map>

#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"
#include "consensus/state/state_store.h"
#include "tests/state/state_test_util.h"

namespace synod::consensus::state {
namespace {

using testing::Harness;

proto::HealthCheck make_check(const std::string& id, proto::HealthStatus status,
                              const std::string& service_id = {}) {
  proto::HealthCheck check;
  check.set_check_id(id);
  check.set_name(id + " check");
  check.set_status(status);
  check.set_service_id(service_id);
  return check;
}

proto::CatalogRegister registration(const std::string& node, const std::string& service_name = {},
                                    const std::string& service_id = {},
                                    std::vector<std::string> tags = {}) {
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(node);
  reg.mutable_node()->set_address("10.1.0." + std::to_string(node.size()));
  if (!service_name.empty()) {
    auto* service = reg.mutable_service();
    service->set_service(service_name);
    service->set_id(service_id);
    service->set_port(8080);
    for (auto& tag : tags) service->add_tags(std::move(tag));
  }
  return reg;
}

ApplyResult reg(Harness& h, proto::CatalogRegister r) {
  return h.run(make_register_command(std::move(r)));
}

ApplyResult set_status(Harness& h, const std::string& node, const std::string& check,
                       proto::HealthStatus status, std::uint64_t now_ms = 0) {
  return h.run(
      make_check_status_command({check_status_update(node, check, status, "out")}, now_ms));
}

proto::Session session(const std::string& id, const std::string& node,
                       std::vector<std::string> node_checks = {}) {
  proto::Session s;
  s.set_id(id);
  s.set_node(node);
  for (auto& c : node_checks) s.add_node_checks(std::move(c));
  return s;
}

ApplyResult create(Harness& h, proto::Session s, std::uint64_t now_ms = 0) {
  return h.run(make_session_create_command(std::move(s), now_ms));
}

// n1 with serfHealth (passing), service web (id web-1, tags v1, primary)
// with its own check, and n2 with service db.
void two_nodes(Harness& h) {
  proto::CatalogRegister r = registration("n1", "web", "web-1", {"v1", "primary"});
  (*r.mutable_node()->mutable_meta())["rack"] = "r1";
  *r.add_checks() = make_check("serfHealth", proto::HEALTH_PASSING);
  *r.add_checks() = make_check("web-alive", proto::HEALTH_PASSING, "web-1");
  ASSERT_TRUE(reg(h, r).status.is_ok());
  proto::CatalogRegister r2 = registration("n2", "db");
  *r2.add_checks() = make_check("serfHealth", proto::HEALTH_PASSING);
  ASSERT_TRUE(reg(h, r2).status.is_ok());
}

// ---------------------------------------------------------------- catalog

TEST(CatalogRegister, CreatesNodeServiceAndChecksWithIndexes) {
  Harness h;
  two_nodes(h);
  const CatalogTable& catalog = h.store.catalog();
  ASSERT_NE(catalog.node("n1"), nullptr);
  EXPECT_EQ(catalog.node("n1")->create_index(), 1u);
  const proto::Service* web = catalog.service("n1", "web-1");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->node(), "n1");
  EXPECT_EQ(web->create_index(), 1u);
  const proto::Service* db = catalog.service("n2", "db");
  ASSERT_NE(db, nullptr) << "the service ID defaults to its name";
  const proto::HealthCheck* alive = catalog.check("n1", "web-alive");
  ASSERT_NE(alive, nullptr);
  EXPECT_EQ(alive->service_name(), "web");
  ASSERT_EQ(alive->service_tags_size(), 2);
  EXPECT_EQ(alive->node(), "n1");
  EXPECT_EQ(catalog.node_count(), 2u);
  EXPECT_EQ(catalog.instance_count(), 2u);
  EXPECT_EQ(catalog.check_count(), 3u);

  const auto services = catalog.services();
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services.at("web"), (std::vector<std::string>{"primary", "v1"}));
  EXPECT_TRUE(services.at("db").empty());
}

TEST(CatalogRegister, IdenticalReRegistrationChangesNothing) {
  Harness h;
  two_nodes(h);
  h.store.take_changes();
  proto::CatalogRegister r = registration("n1", "web", "web-1", {"v1", "primary"});
  (*r.mutable_node()->mutable_meta())["rack"] = "r1";
  *r.add_checks() = make_check("serfHealth", proto::HEALTH_PASSING);
  ApplyResult again = reg(h, r);
  ASSERT_TRUE(again.status.is_ok());
  EXPECT_TRUE(h.store.take_changes().empty());
  EXPECT_EQ(h.store.catalog().raw_index("service:web"), 1u);
}

TEST(CatalogRegister, DefaultsAndRefusals) {
  Harness h;
  proto::CatalogRegister r = registration("n1");
  proto::HealthCheck check = make_check("", proto::HEALTH_UNSPECIFIED);
  check.set_name("mem");
  *r.add_checks() = check;
  ASSERT_TRUE(reg(h, r).status.is_ok());
  const proto::HealthCheck* mem = h.store.catalog().check("n1", "mem");
  ASSERT_NE(mem, nullptr) << "CheckID defaults to Name";
  EXPECT_EQ(mem->status(), proto::HEALTH_CRITICAL) << "no status means critical";

  proto::CatalogRegister orphan = registration("n1");
  *orphan.add_checks() = make_check("c", proto::HEALTH_PASSING, "no-such-service");
  ApplyResult refused = reg(h, orphan);
  EXPECT_EQ(refused.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.store.catalog().check("n1", "c"), nullptr) << "nothing of a refused register";

  proto::CatalogRegister no_address = registration("n9");
  no_address.mutable_node()->clear_address();
  EXPECT_EQ(prepare_command(make_register_command(no_address), 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(reg(h, no_address).status.code(), StatusCode::kInvalidArgument);

  proto::CatalogRegister slash = registration("a/b");
  EXPECT_EQ(reg(h, slash).status.code(), StatusCode::kInvalidArgument);

  proto::CatalogRegister with_id = registration("n1");
  with_id.mutable_node()->set_id("11111111-2222-3333-4444-555555555555");
  ASSERT_TRUE(reg(h, with_id).status.is_ok());
  proto::CatalogRegister thief = registration("n2");
  thief.mutable_node()->set_id("11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(reg(h, thief).status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.store.catalog().node("n2"), nullptr);

  // SkipNodeUpdate keeps an existing node's fields.
  proto::CatalogRegister skip = registration("n1", "api");
  skip.mutable_node()->set_address("");
  skip.set_skip_node_update(true);
  ASSERT_TRUE(reg(h, skip).status.is_ok());
  EXPECT_EQ(h.store.catalog().node("n1")->address(), "10.1.0.2");
  EXPECT_NE(h.store.catalog().service("n1", "api"), nullptr);
}

TEST(CatalogDeregister, ServiceTakesItsChecksNodeTakesEverything) {
  Harness h;
  two_nodes(h);
  ApplyResult removed = h.run(make_deregister_command("n1", "web-1"));
  ASSERT_TRUE(removed.status.is_ok());
  EXPECT_TRUE(removed.ok);
  EXPECT_EQ(h.store.catalog().service("n1", "web-1"), nullptr);
  EXPECT_EQ(h.store.catalog().check("n1", "web-alive"), nullptr);
  EXPECT_NE(h.store.catalog().check("n1", "serfHealth"), nullptr);
  EXPECT_EQ(h.store.catalog().services().count("web"), 0u);

  EXPECT_TRUE(h.run(make_deregister_command("n2", "", "serfHealth")).ok);
  EXPECT_EQ(h.store.catalog().check("n2", "serfHealth"), nullptr);
  EXPECT_NE(h.store.catalog().service("n2", "db"), nullptr);

  EXPECT_TRUE(h.run(make_deregister_command("n2")).ok);
  EXPECT_EQ(h.store.catalog().node("n2"), nullptr);
  EXPECT_EQ(h.store.catalog().service("n2", "db"), nullptr);
  EXPECT_FALSE(h.run(make_deregister_command("n2")).ok) << "nothing left to remove";
  EXPECT_EQ(h.store.catalog().node_count(), 1u);
}

TEST(CatalogChecks, StatusUpdatesOnlyMoveWhatChanged) {
  Harness h;
  two_nodes(h);
  ApplyResult warn = set_status(h, "n1", "web-alive", proto::HEALTH_WARNING);
  ASSERT_TRUE(warn.status.is_ok());
  EXPECT_TRUE(warn.ok);
  const proto::HealthCheck* check = h.store.catalog().check("n1", "web-alive");
  EXPECT_EQ(check->status(), proto::HEALTH_WARNING);
  EXPECT_EQ(check->output(), "out");
  EXPECT_EQ(check->modify_index(), 3u);
  EXPECT_EQ(check->create_index(), 1u);
  EXPECT_EQ(h.store.catalog().raw_index("services"), 2u) << "status is not a service change";
  EXPECT_EQ(h.store.catalog().raw_index("service:web"), 3u);
  EXPECT_EQ(h.store.catalog().raw_index("state:warning"), 3u);
  EXPECT_EQ(h.store.catalog().raw_index("state:passing"), 3u) << "the check left passing";

  h.store.take_changes();
  ASSERT_TRUE(set_status(h, "n1", "web-alive", proto::HEALTH_WARNING).ok);
  EXPECT_TRUE(h.store.take_changes().empty()) << "same status and output: no change";

  ApplyResult batch = h.run(make_check_status_command(
      {check_status_update("n2", "serfHealth", proto::HEALTH_CRITICAL, "down"),
       check_status_update("n2", "missing", proto::HEALTH_PASSING)}));
  ASSERT_TRUE(batch.status.is_ok());
  EXPECT_FALSE(batch.ok) << "one update named a missing check";
  EXPECT_EQ(h.store.catalog().check("n2", "serfHealth")->status(), proto::HEALTH_CRITICAL);

  EXPECT_EQ(
      prepare_command(
          make_check_status_command({check_status_update("n1", "x", proto::HEALTH_UNSPECIFIED)}), 1)
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(CatalogReads, FiltersAndHealth) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(reg(h, registration("n2", "web", "web-2", {"v2"})).status.is_ok());
  const CatalogTable& catalog = h.store.catalog();

  EXPECT_EQ(catalog.service_instances("web").size(), 2u);
  auto v1 = catalog.service_instances("web", {{"v1"}, {}});
  ASSERT_EQ(v1.size(), 1u);
  EXPECT_EQ(v1[0].node->node(), "n1");
  EXPECT_EQ(catalog.service_instances("web", {{"v1", "v2"}, {}}).size(), 0u);
  auto rack = catalog.service_instances("web", {{}, {{"rack", "r1"}}});
  ASSERT_EQ(rack.size(), 1u);
  EXPECT_EQ(rack[0].service->id(), "web-1");
  EXPECT_EQ(catalog.nodes({{}, {{"rack", "r1"}}}).size(), 1u);
  EXPECT_TRUE(catalog.service_instances("nope").empty());

  auto health = catalog.service_health("web");
  ASSERT_EQ(health.size(), 2u);
  ASSERT_EQ(health[0].checks.size(), 2u);
  EXPECT_EQ(health[0].checks[0]->check_id(), "serfHealth") << "node checks first";
  EXPECT_EQ(health[0].checks[1]->check_id(), "web-alive");
  EXPECT_EQ(catalog.service_health("web", {}, true).size(), 2u);

  ASSERT_TRUE(set_status(h, "n2", "serfHealth", proto::HEALTH_CRITICAL).ok);
  auto passing = catalog.service_health("web", {}, true);
  ASSERT_EQ(passing.size(), 1u) << "a failing node check fails its services";
  EXPECT_EQ(passing[0].node->node(), "n1");
  ASSERT_TRUE(set_status(h, "n1", "web-alive", proto::HEALTH_WARNING).ok);
  EXPECT_TRUE(catalog.service_health("web", {}, true).empty()) << "?passing drops warning too";

  EXPECT_EQ(catalog.service_checks("web").size(), 1u);
  EXPECT_EQ(catalog.checks_in_state(proto::HEALTH_CRITICAL).size(), 1u);
  EXPECT_EQ(catalog.checks_in_state(std::nullopt).size(), 3u);
  EXPECT_EQ(catalog.node_services("n2").size(), 2u);
  EXPECT_EQ(catalog.node_checks("n1").size(), 2u);
  EXPECT_EQ(catalog.node_services("n").size(), 0u) << "prefix of a node name is not the node";
}

TEST(CatalogReads, ServiceTagsFollowReRegistrationAndRemoval) {
  Harness h;
  auto on_rack = [&](const std::string& node, const std::string& id,
                     std::vector<std::string> tags) {
    proto::CatalogRegister r = registration(node, "web", id, std::move(tags));
    (*r.mutable_node()->mutable_meta())["rack"] = "r1";
    ASSERT_TRUE(reg(h, r).status.is_ok());
  };
  on_rack("n1", "w1", {"a", "b", "a"});
  on_rack("n2", "w2", {"b", "c"});
  on_rack("n1", "w1", {"d"});  // re-registered: a and b leave w1
  const InstanceFilter everything{{}, {{"rack", "r1"}}};
  using Tags = std::map<std::string, std::vector<std::string>>;
  EXPECT_EQ(h.store.catalog().services(), (Tags{{"web", {"b", "c", "d"}}}));
  EXPECT_EQ(h.store.catalog().services(everything), h.store.catalog().services());
  ASSERT_TRUE(h.run(make_deregister_command("n2", "w2")).ok);
  EXPECT_EQ(h.store.catalog().services(), (Tags{{"web", {"d"}}}));
  EXPECT_EQ(h.store.catalog().services(everything), h.store.catalog().services());
  EXPECT_TRUE(h.store.catalog().services({{}, {{"rack", "r2"}}}).empty());
  ASSERT_TRUE(h.run(make_deregister_command("n1")).ok);
  EXPECT_TRUE(h.store.catalog().services().empty());
}

// ---------------------------------------------------------------- indexes

TEST(RegistryIndexes, AWriteToServiceADoesNotMoveServiceB) {
  Harness h;
  ASSERT_TRUE(reg(h, registration("n1", "a")).status.is_ok());  // 1
  ASSERT_TRUE(reg(h, registration("n2", "b")).status.is_ok());  // 2
  h.store.take_changes();
  proto::CatalogRegister change = registration("n1", "a");
  change.mutable_service()->add_tags("new");
  ASSERT_TRUE(reg(h, change).status.is_ok());  // 3
  const CatalogTable& catalog = h.store.catalog();
  EXPECT_EQ(catalog.index("service:a"), 3u);
  EXPECT_EQ(catalog.index("service:b"), 2u);
  EXPECT_EQ(catalog.index("node:n2"), 2u);
  EXPECT_EQ(catalog.index("node:n1"), 3u);
  EXPECT_EQ(catalog.index("services"), 3u);
  EXPECT_EQ(catalog.index("nodes"), 2u) << "the node did not change";
  EXPECT_EQ(catalog.index("service:never"), 3u) << "unknown resources report the catalog index";

  const std::vector<std::string> woken = changed_resources(h.store.take_changes());
  EXPECT_EQ(woken, (std::vector<std::string>{"catalog", "node:n1", "service:a", "services"}));

  ASSERT_TRUE(h.run(make_deregister_command("n1", "a")).ok);  // 4
  EXPECT_EQ(catalog.index("service:a"), 4u) << "a removed service's index still grows";
  EXPECT_EQ(catalog.index("service:b"), 2u);
}

TEST(RegistryIndexes, NodeChecksMoveEveryServiceOnTheNode) {
  Harness h;
  proto::CatalogRegister r = registration("n1", "a");
  *r.add_checks() = make_check("serfHealth", proto::HEALTH_PASSING);
  ASSERT_TRUE(reg(h, r).status.is_ok());                                      // 1
  ASSERT_TRUE(reg(h, registration("n1", "b")).status.is_ok());                // 2
  ASSERT_TRUE(reg(h, registration("n2", "c")).status.is_ok());                // 3
  ASSERT_TRUE(set_status(h, "n1", "serfHealth", proto::HEALTH_CRITICAL).ok);  // 4
  EXPECT_EQ(h.store.catalog().index("service:a"), 4u);
  EXPECT_EQ(h.store.catalog().index("service:b"), 4u);
  EXPECT_EQ(h.store.catalog().index("service:c"), 3u);
  EXPECT_EQ(h.store.catalog().index("checks"), 4u);
  EXPECT_EQ(h.store.catalog().index("state:critical"), 4u);
}

// ---------------------------------------------------------------- sessions

TEST(Sessions, CreateValidation) {
  Harness h;
  two_nodes(h);  // 1, 2
  proto::Session short_ttl = session("s1", "n1");
  short_ttl.set_ttl_ms(5'000);
  Result<Bytes> refused = prepare_command(make_session_create_command(short_ttl), 1);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("TTL"), std::string::npos);
  EXPECT_EQ(create(h, short_ttl).status.code(), StatusCode::kInvalidArgument);
  proto::Session long_ttl = session("s1", "n1");
  long_ttl.set_ttl_ms(kMaxSessionTtlMs + 1);
  EXPECT_EQ(create(h, long_ttl).status.code(), StatusCode::kInvalidArgument);
  proto::Session delay = session("s1", "n1");
  delay.set_lock_delay_ms(61'000);
  EXPECT_EQ(create(h, delay).status.code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(create(h, session("s1", "ghost")).status.code(), StatusCode::kFailedPrecondition);
  ApplyResult unknown_check = create(h, session("s1", "n1", {"nope"}));
  EXPECT_EQ(unknown_check.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unknown_check.status.message().find("Missing check 'nope'"), std::string::npos);
  ASSERT_TRUE(set_status(h, "n2", "serfHealth", proto::HEALTH_CRITICAL).ok);
  ApplyResult critical = create(h, session("s1", "n2", {"serfHealth"}));
  EXPECT_EQ(critical.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.store.sessions().size(), 0u);

  proto::Session good = session("s1", "n1");
  apply_session_defaults(good, /*lock_delay_given=*/false, /*checks_given=*/false);
  EXPECT_EQ(good.lock_delay_ms(), kDefaultLockDelayMs);
  ASSERT_EQ(good.node_checks_size(), 1);
  EXPECT_EQ(good.node_checks(0), "serfHealth");
  good.set_ttl_ms(10'000);
  ApplyResult created = create(h, good);
  ASSERT_TRUE(created.status.is_ok()) << created.status;
  EXPECT_TRUE(created.ok);
  const proto::Session* stored = h.store.sessions().find("s1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->create_index(), created.index.value());
  EXPECT_EQ(create(h, good).status.code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(create(h, session("s2", "n1")).ok);
  EXPECT_EQ(h.store.sessions().list().size(), 2u);
  EXPECT_EQ(h.store.sessions().by_node("n1").size(), 2u);
  EXPECT_TRUE(h.store.sessions().by_node("n2").empty());
  ASSERT_EQ(h.store.sessions().with_ttl().size(), 1u);
  EXPECT_EQ(h.store.sessions().with_ttl()[0]->id(), "s1");
  EXPECT_EQ(h.store.sessions().bound_to("n1", "serfHealth"), std::vector<std::string>{"s1"});
}

TEST(Sessions, DestroyReleasesLocksWithLockDelay) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(h.add_session("s1", "n1", /*lock_delay_ms=*/5'000).ok);
  ASSERT_TRUE(h.add_session("s2", "n1").ok);
  ASSERT_TRUE(h.op(kv_lock_op("lock/a", "s1", "held"), 1'000).ok);
  ASSERT_TRUE(h.op(kv_set_op("plain", "v"), 1'000).ok);

  ApplyResult destroyed = h.run(make_session_destroy_command("s1", 2'000));
  ASSERT_TRUE(destroyed.ok);
  EXPECT_EQ(h.store.sessions().find("s1"), nullptr);
  EXPECT_EQ(h.entry("lock/a").session, "") << "release behaviour unlocks";
  EXPECT_EQ(h.entry("lock/a").value, "held") << "and keeps the value";
  EXPECT_EQ(h.store.kv().lock_delay_until("lock/a"), 7'000u);

  EXPECT_FALSE(h.op(kv_lock_op("lock/a", "s2"), 6'999).ok) << "lock-delay blocks";
  EXPECT_TRUE(h.op(kv_lock_op("lock/a", "s2"), 7'000).ok) << "and then expires";

  ApplyResult dead = h.op(kv_lock_op("lock/b", "s1"), 8'000);
  EXPECT_FALSE(dead.status.is_ok()) << "acquire with a destroyed session is refused";
  EXPECT_EQ(h.store.kv().find("lock/b"), nullptr);
  EXPECT_FALSE(h.run(make_session_destroy_command("s1")).ok) << "already gone";
}

TEST(Sessions, DeleteBehaviourRemovesKeys) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(h.add_session("s1", "n1", 0, proto::SESSION_DELETE).ok);
  ASSERT_TRUE(h.op(kv_lock_op("lock/a", "s1", "x")).ok);
  ASSERT_TRUE(h.op(kv_lock_op("lock/b", "s1", "y")).ok);
  ASSERT_TRUE(h.op(kv_set_op("other", "z")).ok);
  ASSERT_TRUE(h.run(make_session_invalidate_command({"s1", "gone"})).status.is_ok());
  EXPECT_EQ(h.store.kv().find("lock/a"), nullptr);
  EXPECT_EQ(h.store.kv().find("lock/b"), nullptr);
  EXPECT_NE(h.store.kv().find("other"), nullptr) << "nothing else is touched";
}

TEST(Sessions, CriticalBoundCheckInvalidates) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(h.add_session("bound", "n1", 0, proto::SESSION_RELEASE, {"serfHealth"}).ok);
  ASSERT_TRUE(h.add_session("svc", "n1", 0, proto::SESSION_RELEASE, {"web-alive"}).ok);
  ASSERT_TRUE(h.add_session("free", "n1").ok);
  ASSERT_TRUE(h.op(kv_lock_op("l", "bound")).ok);

  ASSERT_TRUE(set_status(h, "n1", "serfHealth", proto::HEALTH_WARNING).ok);
  EXPECT_NE(h.store.sessions().find("bound"), nullptr) << "warning does not invalidate";
  ASSERT_TRUE(set_status(h, "n1", "serfHealth", proto::HEALTH_CRITICAL, 100).ok);
  EXPECT_EQ(h.store.sessions().find("bound"), nullptr);
  EXPECT_EQ(h.entry("l").session, "");
  EXPECT_NE(h.store.sessions().find("svc"), nullptr);
  EXPECT_NE(h.store.sessions().find("free"), nullptr);

  // Re-registering the service check as critical invalidates too.
  proto::CatalogRegister r = registration("n1", "web", "web-1", {"v1", "primary"});
  *r.add_checks() = make_check("web-alive", proto::HEALTH_CRITICAL, "web-1");
  ASSERT_TRUE(reg(h, r).status.is_ok());
  EXPECT_EQ(h.store.sessions().find("svc"), nullptr);
  EXPECT_NE(h.store.sessions().find("free"), nullptr);
}

TEST(Sessions, NodeDeregisterAndCheckRemovalInvalidate) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(h.add_session("on-n1", "n1").ok);
  ASSERT_TRUE(h.add_session("on-n2", "n2", 0, proto::SESSION_DELETE, {"serfHealth"}).ok);
  ASSERT_TRUE(h.add_session("n1-check", "n1", 0, proto::SESSION_RELEASE, {"web-alive"}).ok);
  ASSERT_TRUE(h.op(kv_lock_op("k1", "on-n1")).ok);
  ASSERT_TRUE(h.op(kv_lock_op("k2", "on-n2")).ok);

  ASSERT_TRUE(h.run(make_deregister_command("n1", "web-1")).ok);
  EXPECT_EQ(h.store.sessions().find("n1-check"), nullptr) << "its check was removed";
  EXPECT_NE(h.store.sessions().find("on-n1"), nullptr);

  ASSERT_TRUE(h.run(make_deregister_command("n1")).ok);
  EXPECT_EQ(h.store.sessions().find("on-n1"), nullptr);
  EXPECT_EQ(h.entry("k1").session, "") << "released";
  EXPECT_NE(h.store.sessions().find("on-n2"), nullptr);

  ASSERT_TRUE(h.run(make_deregister_command("n2")).ok);
  EXPECT_EQ(h.store.sessions().find("on-n2"), nullptr);
  EXPECT_EQ(h.store.kv().find("k2"), nullptr) << "delete behaviour";
  EXPECT_EQ(h.store.sessions().size(), 0u);
}

TEST(Sessions, IndexesAndRenew) {
  Harness h;
  two_nodes(h);                              // 1, 2
  ASSERT_TRUE(h.add_session("a", "n1").ok);  // 3
  ASSERT_TRUE(h.add_session("b", "n2").ok);  // 4
  const SessionTable& sessions = h.store.sessions();
  EXPECT_EQ(sessions.index("session:a"), 3u);
  EXPECT_EQ(sessions.index("session-node:n1"), 3u);
  EXPECT_EQ(sessions.index("sessions"), 4u);
  h.store.take_changes();

  ApplyResult renew = h.run(make_session_renew_command("a"));  // 5
  EXPECT_TRUE(renew.ok);
  ChangeSet renewed = h.store.take_changes();
  EXPECT_TRUE(renewed.contains(RecordTable::kSessions, "a"));
  EXPECT_TRUE(changed_resources(renewed).empty()) << "a renew wakes no watcher";
  EXPECT_EQ(sessions.index("sessions"), 4u);
  EXPECT_FALSE(h.run(make_session_renew_command("zz")).ok);

  ASSERT_TRUE(h.run(make_session_destroy_command("a")).ok);  // 7
  EXPECT_EQ(sessions.index("session:a"), 7u) << "falls back to the sessions index";
  EXPECT_EQ(sessions.index("session-node:n2"), 4u);
  const auto woken = changed_resources(h.store.take_changes());
  EXPECT_EQ(woken, (std::vector<std::string>{"session-node:n1", "session:a", "sessions"}));
}

// ---------------------------------------------------------------- records

void populate_registry(Harness& h) {
  two_nodes(h);
  proto::CatalogRegister r = registration("n3", "web", "web-3", {"b", "a"});
  (*r.mutable_node()->mutable_meta())["zone"] = "z";
  (*r.mutable_node()->mutable_meta())["arch"] = "arm";
  (*r.mutable_node()->mutable_tagged_addresses())["lan"] = "10.0.0.3";
  (*r.mutable_service()->mutable_meta())["version"] = "3";
  proto::HealthCheck http = make_check("http", proto::HEALTH_PASSING, "web-3");
  http.set_type("http");
  http.mutable_definition()->set_http("http://localhost/health");
  http.mutable_definition()->set_interval_ms(10'000);
  (*http.mutable_definition()->mutable_header())["X-A"].add_values("1");
  (*http.mutable_definition()->mutable_header())["X-B"].add_values("2");
  *r.add_checks() = http;
  ASSERT_TRUE(reg(h, r).status.is_ok());
  ASSERT_TRUE(h.add_session("s1", "n1", 15'000).ok);
  proto::Session ttl = session("s2", "n3", {"http"});
  ttl.set_ttl_ms(30'000);
  ttl.set_behavior(proto::SESSION_DELETE);
  ASSERT_TRUE(create(h, ttl).ok);
  ASSERT_TRUE(h.op(kv_lock_op("lock", "s1", "v")).ok);
  ASSERT_TRUE(h.run(make_deregister_command("n2")).ok);
}

TEST(RegistryRecords, SnapshotRoundTripIsByteIdentical) {
  Harness h;
  populate_registry(h);
  const Bytes snapshot = h.store.snapshot();
  StateStore restored;
  ASSERT_TRUE(restored.restore(snapshot).is_ok());
  EXPECT_EQ(restored.snapshot(), snapshot);
  EXPECT_EQ(restored.catalog().service_health("web").size(), 2u);
  EXPECT_EQ(restored.sessions().bound_to("n3", "http"), std::vector<std::string>{"s2"});
  EXPECT_EQ(restored.catalog().index("service:db"), h.store.catalog().index("service:db"));
  EXPECT_EQ(restored.sessions().with_ttl().size(), 1u);
  // The restored store keeps enforcing the rules (indexes were rebuilt).
  Harness again;
  ASSERT_TRUE(again.store.restore(snapshot).is_ok());
  ASSERT_TRUE(again.store.catalog().node("n3") != nullptr);
}

TEST(RegistryRecords, RestoreMarksEveryKeyOfBothStates) {
  Harness h;
  populate_registry(h);
  const AppliedRecords all = h.store.all_records();
  h.store.take_changes();
  StateStore empty;
  ASSERT_TRUE(h.store.restore(empty.snapshot()).is_ok());
  const ChangeSet marked = h.store.take_changes();
  ASSERT_EQ(marked.size(), all.changes.size());
  for (const auto& change : all.changes) {
    EXPECT_TRUE(marked.contains(change.table, change.key)) << change.key;
  }
  EXPECT_EQ(h.store.catalog().node_count(), 0u);
}

TEST(RegistryRecords, IncrementalRecordsRebuildTheSameState) {
  Harness h;
  std::map<std::pair<RecordTable, std::string>, StateRecord> stored;
  auto persist = [&](const AppliedRecords& records) {
    for (const auto& change : records.changes) {
      if (change.record) {
        stored[{change.table, change.key}] = *change.record;
      } else {
        stored.erase({change.table, change.key});
      }
    }
  };
  populate_registry(h);
  persist(h.store.records_for(h.store.take_changes()));
  ASSERT_TRUE(set_status(h, "n3", "http", proto::HEALTH_CRITICAL, 50).ok);
  persist(h.store.records_for(h.store.take_changes()));

  StateStore loaded;
  Status status = loaded.load_records(h.store.applied_index(), [&](const SnapshotVisitor& add) {
    for (const auto& [where, record] : stored) {
      SYNOD_RETURN_IF_ERROR(add(where.first, record.key, record.value));
    }
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status;
  EXPECT_EQ(loaded.snapshot(), h.store.snapshot());
  EXPECT_EQ(loaded.sessions().find("s2"), nullptr) << "invalidated by the critical check";
}

TEST(RegistryRecords, ColumnsFollowThePersistenceSchema) {
  Harness h;
  two_nodes(h);
  ASSERT_TRUE(h.add_session("s1", "n1", 15'000).ok);
  std::map<RecordTable, StateRecord> first;
  for (const auto& change : h.store.all_records().changes) {
    if (!first.contains(change.table)) first.emplace(change.table, *change.record);
  }
  EXPECT_EQ(first[RecordTable::kServices].columns,
            (std::vector<RecordColumn>{std::string("n1"), std::string("web-1"), std::string("web"),
                                       std::monostate{}, std::int64_t{8080},
                                       std::string("v1,primary"), std::int64_t{1}}));
  EXPECT_EQ(first[RecordTable::kChecks].columns,
            (std::vector<RecordColumn>{std::string("n1"), std::string("serfHealth"),
                                       std::string("serfHealth check"), std::string("passing"),
                                       std::monostate{}, std::int64_t{1}}));
  EXPECT_EQ(first[RecordTable::kNodes].columns,
            (std::vector<RecordColumn>{std::monostate{}, std::string("10.1.0.2"), std::monostate{},
                                       std::int64_t{1}}));
  EXPECT_EQ(first[RecordTable::kSessions].columns,
            (std::vector<RecordColumn>{std::monostate{}, std::string("n1"), std::monostate{},
                                       std::string("release"), std::string("15s"), std::string(""),
                                       std::int64_t{3}}));
}

TEST(RegistryRecords, DamagedRecordsAreCorruption) {
  struct Case {
    RecordTable table;
    std::string key;
    Bytes value;
  };
  proto::Node node;
  node.set_node("n1");
  proto::Service service;
  service.set_node("n1");
  service.set_id("web");
  proto::Session s;
  s.set_id("abc");
  s.set_node("n1");
  const std::vector<Case> cases = {
      {RecordTable::kNodes, "n1", "\xff\xff\xff"},
      {RecordTable::kNodes, "other", node.SerializeAsString()},
      {RecordTable::kServices, "n1/api", service.SerializeAsString()},
      {RecordTable::kChecks, "n1/c", "\x0a\x05"},
      {RecordTable::kSessions, "xyz", s.SerializeAsString()},
      {RecordTable::kMeta, "catalog/index/services", "1234"},
      {RecordTable::kMeta, "catalog/whatever", "12345678"},
      {RecordTable::kMeta, "session/index/sessions", ""},
  };
  Harness h;
  populate_registry(h);
  const Bytes before = h.store.snapshot();
  for (const auto& bad : cases) {
    Status status = h.store.load_records(LogIndex(99), [&](const SnapshotVisitor& add) {
      return add(bad.table, bad.key, bad.value);
    });
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << bad.key;
    EXPECT_EQ(h.store.snapshot(), before);
  }
  // A duplicate node record.
  Status dup = h.store.load_records(LogIndex(99), [&](const SnapshotVisitor& add) {
    SYNOD_RETURN_IF_ERROR(add(RecordTable::kNodes, "n1", node.SerializeAsString()));
    return add(RecordTable::kNodes, "n1", node.SerializeAsString());
  });
  EXPECT_EQ(dup.code(), StatusCode::kCorruption);
}

// Deterministic byte mutations of valid registry commands, applied to two
// replicas: never a crash, and both replicas end byte-identical.
TEST(RegistryHostileInput, MutatedCommandsApplyIdenticallyOnReplicas) {
  std::vector<Bytes> valid;
  {
    proto::CatalogRegister r = registration("n1", "web", "web-1", {"a"});
    *r.add_checks() = make_check("serfHealth", proto::HEALTH_PASSING);
    *r.add_checks() = make_check("c", proto::HEALTH_WARNING, "web-1");
    valid.push_back(encode_command(make_register_command(r, 5)));
    proto::Session s = session("s1", "n1", {"serfHealth"});
    s.set_ttl_ms(20'000);
    valid.push_back(encode_command(make_session_create_command(s, 6)));
    valid.push_back(encode_command(make_check_status_command(
        {check_status_update("n1", "serfHealth", proto::HEALTH_CRITICAL, "x")}, 7)));
    valid.push_back(encode_command(make_deregister_command("n1", "web-1", {}, 8)));
    valid.push_back(encode_command(make_session_invalidate_command({"s1"}, 9)));
  }
  const google::protobuf::LogSilencer quiet;  // protobuf logs each non-UTF-8 string it refuses
  StateStore first;
  StateStore second;
  std::uint64_t state = 99;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int refused = 0;
  for (std::uint64_t round = 1; round <= 3000; ++round) {
    Bytes mutated = valid[round % valid.size()];
    if (round % 3 != 0) {  // every third command goes in intact
      const int edits = 1 + static_cast<int>(next() % 3);
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        const std::size_t at = next() % mutated.size();
        if (next() % 2 == 0) {
          mutated[at] = static_cast<char>(next());
        } else {
          mutated.insert(at, 1, static_cast<char>(next()));
        }
      }
    }
    Entry entry;
    entry.term = Term(1);
    entry.index = LogIndex(round);
    entry.data = mutated;
    const ApplyResult a = first.apply(entry);
    const ApplyResult b = second.apply(entry);
    ASSERT_EQ(encode_apply_result(a), encode_apply_result(b)) << "round " << round;
    refused += a.status.is_ok() ? 0 : 1;
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(first.snapshot(), second.snapshot());
  StateStore restored;
  ASSERT_TRUE(restored.restore(first.snapshot()).is_ok());
  EXPECT_EQ(restored.snapshot(), first.snapshot());
}

}  // namespace
}  // namespace synod::consensus::state
