#include "config/loader.h"

#include "tests/config/test_util.h"

namespace synod::config {
namespace {

using namespace std::chrono_literals;
using testing::differing_keys;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::load_yaml;
using ::testing::Not;
using testing::options;
using testing::write_yaml;

class RemoveScratchFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(testing::scratch_root(), ignored);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveScratchFiles);

TEST(ConfigLoad, NoSourcesGivesTheStructDefaults) {
  auto config = load(options());
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(differing_keys(*config, NodeConfig{}), IsEmpty());
}

TEST(ConfigLoad, DefaultYamlParsesBackToEveryDefault) {
  auto config = load_yaml(default_yaml());
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(differing_keys(*config, NodeConfig{}), IsEmpty());
}

TEST(ConfigLoad, DefaultYamlHasEveryKeyWithItsComment) {
  std::string yaml = default_yaml();
  for (const KeyInfo& key : schema()) {
    EXPECT_THAT(yaml, HasSubstr(" " + std::string(key.name()) + ": ")) << key.path;
    EXPECT_THAT(yaml, HasSubstr("# " + std::string(key.doc))) << key.path;
  }
}

TEST(ConfigLoad, EmptyFileAndEmptySectionsKeepDefaults) {
  auto config = load_yaml("# nothing\nraft:\nlog: {}\n");
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(differing_keys(*config, NodeConfig{}), IsEmpty());
}

TEST(ConfigLoad, FileOverridesDefaults) {
  auto config = load_yaml(
      "node:\n  name: n1\n  data_dir: /var/lib/synod\nraft:\n  heartbeat_interval: 100ms\n"
      "  election_timeout: 1s\npersistence:\n  backend: sqlite\n  file:\n    segment_bytes: 8MiB\n"
      "compression:\n  zstd_level: -2\nloadbalance:\n  hedge_percentile: 95\n");
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_EQ(config->node.name, "n1");
  EXPECT_EQ(config->node.data_dir, "/var/lib/synod");
  EXPECT_EQ(config->raft.heartbeat_interval, 100ms);
  EXPECT_EQ(config->raft.election_timeout, 1s);
  EXPECT_EQ(config->persistence.backend, "sqlite");
  EXPECT_EQ(config->persistence.file.segment_bytes, 8u << 20);
  EXPECT_EQ(config->compression.zstd_level, -2);
  EXPECT_EQ(config->loadbalance.hedge_percentile, 95.0);
  EXPECT_THAT(
      differing_keys(*config, NodeConfig{}),
      ElementsAre("node.name", "node.data_dir", "raft.heartbeat_interval", "raft.election_timeout",
                  "persistence.backend", "persistence.file.segment_bytes", "compression.zstd_level",
                  "loadbalance.hedge_percentile"));
}

TEST(ConfigLoad, EnvOverridesFile) {
  auto opts = options(write_yaml("raft:\n  heartbeat_interval: 100ms\nlog:\n  level: debug\n"));
  opts.env = {{"SYNOD_RAFT_HEARTBEAT_INTERVAL", "20ms"},
              {"SYNOD_PERSISTENCE_POSTGRES_URL", "postgresql://db:5432/x"},
              {"SYNOD_CLUSTER_SEEDS", "10.0.0.1:8301,10.0.0.2:8301"},
              {"SYNOD_LOADBALANCE_SERVICES", "web=round_robin, db=maglev"},
              {"SYNOD_BINARY", "/not/a/config/key"},  // BINARY is not a section
              {"SYNOD_HTTP_ADDR", "127.0.0.1:9"},      // the CLI's variable, not http.addr
              {"PATH", "/usr/bin"}};
  auto config = load(opts);
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_EQ(config->raft.heartbeat_interval, 20ms);
  EXPECT_EQ(config->log.level, "debug");  // file value, no env for it
  EXPECT_EQ(config->persistence.postgres.url, "postgresql://db:5432/x");
  EXPECT_THAT(config->cluster.seeds, ElementsAre("10.0.0.1:8301", "10.0.0.2:8301"));
  EXPECT_EQ(config->loadbalance.services.at("db"), "maglev");
  EXPECT_EQ(config->loadbalance.services.at("web"), "round_robin");
}

TEST(ConfigLoad, FlagsOverrideEnvAndApplyInOrder) {
  auto opts = options(write_yaml("raft:\n  heartbeat_interval: 100ms\n"));
  opts.env = {{"SYNOD_RAFT_HEARTBEAT_INTERVAL", "20ms"}, {"SYNOD_LOG_FORMAT", "json"}};
  opts.overrides = {"raft.heartbeat_interval=30ms",
                    "raft.heartbeat_interval = 40ms",
                    "log.level= warn ",
                    "node.data_dir=/data",
                    "loadbalance.services.web=ip_hash",
                    "loadbalance.services.models.resnet=maglev"};
  auto config = load(opts);
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_EQ(config->raft.heartbeat_interval, 40ms);
  EXPECT_EQ(config->log.format, "json");
  EXPECT_EQ(config->log.level, "warn");
  EXPECT_EQ(config->node.data_dir, "/data");
  EXPECT_EQ(config->loadbalance.services.at("web"), "ip_hash");
  EXPECT_EQ(config->loadbalance.services.at("models.resnet"), "maglev");
}

TEST(ConfigLoad, InjectedEnvWinsOverProcessEnv) {
  ::setenv("SYNOD_LOG_LEVEL", "warn", 1);
  auto opts = options();
  opts.use_process_env = true;
  auto from_process = load(opts);
  opts.env = {{"SYNOD_LOG_LEVEL", "error"}};
  auto injected = load(opts);
  ::unsetenv("SYNOD_LOG_LEVEL");
  ASSERT_TRUE(from_process.is_ok()) << from_process.status();
  ASSERT_TRUE(injected.is_ok()) << injected.status();
  EXPECT_EQ(from_process->log.level, "warn");
  EXPECT_EQ(injected->log.level, "error");
}

TEST(ConfigLoad, ListsAndMapsFromYaml) {
  auto config = load_yaml(
      "cluster:\n  seeds:\n    - 10.0.0.1:8301\n    - \"[::1]:8301\"\n"
      "crypto:\n  allowed_peers: [a2V5MQ==, a2V5Mg==]\n"
      "loadbalance:\n  services:\n    web: round_robin\n    resnet50: least_connections\n");
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(config->cluster.seeds, ElementsAre("10.0.0.1:8301", "[::1]:8301"));
  EXPECT_THAT(config->crypto.allowed_peers, ElementsAre("a2V5MQ==", "a2V5Mg=="));
  EXPECT_EQ(config->loadbalance.services,
            (std::map<std::string, std::string>{{"resnet50", "least_connections"},
                                                {"web", "round_robin"}}));
}

TEST(ConfigLoad, EmptyListValueClearsTheList) {
  auto opts = options(write_yaml("cluster:\n  seeds: [\"a:1\"]\n"));
  opts.overrides = {"cluster.seeds="};
  auto config = load(opts);
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(config->cluster.seeds, IsEmpty());
}

TEST(ConfigLoad, ToYamlRoundTripsAChangedConfig) {
  NodeConfig changed;
  changed.node.name = "n\"quoted\"";
  changed.cluster.seeds = {"a:1", "b:2"};
  changed.loadbalance.services = {{"web", "maglev"}};
  changed.cluster.dead_server_cleanup_after = 90min;
  changed.raft.election_timeout = 9min;
  changed.compression.min_bytes = 1536;
  changed.loadbalance.hedge_percentile = 99.9;
  changed.persistence.redis.password = "hunter2";
  auto config = load_yaml(to_yaml(changed, /*redact_secrets=*/false));
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_THAT(differing_keys(*config, changed), IsEmpty());
}

TEST(ConfigLoad, ToYamlRedactsSecrets) {
  NodeConfig config;
  config.crypto.cluster_key = "c2VjcmV0LWtleS1ieXRlcw==";
  config.persistence.redis.password = "hunter2";
  config.persistence.postgres.url = "postgresql://synod:pa55word@db:5432/synod";
  std::string yaml = to_yaml(config);
  EXPECT_THAT(yaml, Not(HasSubstr("c2VjcmV0")));
  EXPECT_THAT(yaml, Not(HasSubstr("hunter2")));
  EXPECT_THAT(yaml, Not(HasSubstr("pa55word")));
  EXPECT_THAT(yaml, HasSubstr("cluster_key: \"<redacted>\""));
  EXPECT_THAT(yaml, HasSubstr("password: \"<redacted>\""));
  EXPECT_THAT(yaml, HasSubstr("url: \"postgresql://synod:<redacted>@db:5432/synod\""));
  EXPECT_THAT(to_yaml(config, false), HasSubstr("hunter2"));
  // An unset secret stays visibly empty.
  EXPECT_THAT(to_yaml(NodeConfig{}), HasSubstr("password: \"\""));
}

TEST(ConfigIdentity, NameDefaultsToHostNameAndIdToItsHash) {
  NodeConfig config;
  ASSERT_TRUE(resolve_identity(config).is_ok());
  EXPECT_FALSE(config.node.name.empty());
  EXPECT_EQ(config.node.id, node_id_from_name(config.node.name));
}

TEST(ConfigIdentity, ExplicitValuesAreKept) {
  NodeConfig config;
  config.node.name = "alpha";
  config.node.id = 42;
  ASSERT_TRUE(resolve_identity(config).is_ok());
  EXPECT_EQ(config.node.name, "alpha");
  EXPECT_EQ(config.node.id, 42u);
}

TEST(ConfigIdentity, IdIsStableFnv1aAndNeverZero) {
  EXPECT_EQ(node_id_from_name(""), 0xcbf29ce484222325ull);   // FNV-1a offset basis
  EXPECT_EQ(node_id_from_name("a"), 0xaf63dc4c8601ec8cull);  // published FNV-1a test vector
  EXPECT_NE(node_id_from_name("n1"), node_id_from_name("n2"));
  EXPECT_NE(node_id_from_name("n1"), 0u);
}

TEST(ConfigIdentity, LoadResolvesIdentityByDefault) {
  auto opts = options();
  opts.resolve_identity = true;
  opts.overrides = {"node.name=beta"};
  auto config = load(opts);
  ASSERT_TRUE(config.is_ok()) << config.status();
  EXPECT_EQ(config->node.id, node_id_from_name("beta"));
}

}  // namespace
}  // namespace synod::config
