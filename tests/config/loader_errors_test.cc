// Every kind of bad config, each with the specific message a user sees.
#include <random>

#include "config/loader.h"
#include "tests/config/test_util.h"

namespace synod::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::load_error;
using ::testing::Not;
using testing::options;
using testing::write_yaml;
using testing::yaml_error;

TEST(ConfigErrors, UnknownTopLevelSectionSuggestsTheClosest) {
  EXPECT_THAT(
      yaml_error("node:\n  name: a\nraftt:\n  pre_vote: true\n"),
      HasSubstr("node.yaml:3:1: raftt: unknown section \"raftt\" (did you mean \"raft\"?)"));
}

TEST(ConfigErrors, UnknownKeyInSectionSuggestsTheClosest) {
  EXPECT_THAT(yaml_error("raft:\n  pre_vote: true\n  heartbeet: 10ms\n"),
              HasSubstr("node.yaml:3:3: raft.heartbeet: unknown key \"heartbeet\" in section "
                        "\"raft\" (did you mean \"raft.heartbeat_interval\"?)"));
  EXPECT_THAT(yaml_error("persistence:\n  postgres:\n    uri: x\n"),
              HasSubstr("node.yaml:3:5: persistence.postgres.uri: unknown key \"uri\" in section "
                        "\"persistence.postgres\" (did you mean \"persistence.postgres.url\"?)"));
}

TEST(ConfigErrors, StringWhereBooleanExpected) {
  EXPECT_THAT(yaml_error("raft:\n  pre_vote: sometimes\n"),
              HasSubstr("node.yaml:2:3: raft.pre_vote: invalid boolean \"sometimes\" (expected "
                        "true or false)"));
}

TEST(ConfigErrors, MappingWhereScalarExpected) {
  EXPECT_THAT(yaml_error("raft:\n  heartbeat_interval:\n    value: 10ms\n"),
              HasSubstr("node.yaml:2:3: raft.heartbeat_interval: expected a duration, got a "
                        "mapping"));
  EXPECT_THAT(
      yaml_error("log:\n  level: [info]\n"),
      HasSubstr("log.level: expected one of (trace, debug, info, warn, error, off), got a list"));
}

TEST(ConfigErrors, MissingValue) {
  EXPECT_THAT(yaml_error("raft:\n  snapshot_threshold:\n"),
              HasSubstr("node.yaml:2:3: raft.snapshot_threshold: expected a uint64, got nothing"));
  EXPECT_THAT(yaml_error("raft:\n  election_timeout: ~\n"),
              HasSubstr("raft.election_timeout: expected a duration, got nothing"));
}

TEST(ConfigErrors, ScalarWhereListExpected) {
  EXPECT_THAT(yaml_error("cluster:\n  seeds: 10.0.0.1:8301\n"),
              HasSubstr("node.yaml:2:3: cluster.seeds: expected a list, got a scalar"));
}

TEST(ConfigErrors, ScalarWhereSectionExpected) {
  EXPECT_THAT(
      yaml_error("raft: fast\n"),
      HasSubstr("node.yaml:1:1: raft: expected a section (a mapping of keys), got a scalar"));
}

TEST(ConfigErrors, IntegerOutOfRange) {
  EXPECT_THAT(yaml_error("gossip:\n  gossip_nodes: 65\n"),
              HasSubstr("node.yaml:2:3: gossip.gossip_nodes: value 65 out of range (must be "
                        "between 1 and 64)"));
  EXPECT_THAT(yaml_error("raft:\n  max_inflight_messages: 4294967296\n"),
              HasSubstr("raft.max_inflight_messages: value 4294967296 out of range (must be "
                        "between 1 and 4294967295)"));
  EXPECT_THAT(yaml_error("compression:\n  zstd_level: -8\n"),
              HasSubstr("value -8 out of range (must be between -7 and 22)"));
}

TEST(ConfigErrors, NegativeWhereUnsigned) {
  EXPECT_THAT(yaml_error("inference:\n  threads: -2\n"),
              HasSubstr("node.yaml:2:3: inference.threads: negative value -2 not allowed "
                        "(expected an unsigned integer)"));
}

TEST(ConfigErrors, NotAnInteger) {
  EXPECT_THAT(yaml_error("raft:\n  snapshot_threshold: 1.5\n"),
              HasSubstr("raft.snapshot_threshold: invalid integer \"1.5\" (expected a whole "
                        "number)"));
}

TEST(ConfigErrors, BadDuration) {
  EXPECT_THAT(yaml_error("node:\n  name: a\nraft:\n  heartbeat_interval: fast\n"),
              HasSubstr("node.yaml:4:3: raft.heartbeat_interval: invalid duration \"fast\" "
                        "(expected e.g. 150ms, 2s"));
}

TEST(ConfigErrors, DurationOutOfRange) {
  EXPECT_THAT(yaml_error("raft:\n  election_timeout: 1h\n"),
              HasSubstr("raft.election_timeout: value 1h out of range (must be between 1ms and "
                        "10m)"));
}

TEST(ConfigErrors, BadByteSize) {
  EXPECT_THAT(yaml_error("transport:\n  max_frame_bytes: 16 megs\n"),
              HasSubstr("node.yaml:2:3: transport.max_frame_bytes: invalid byte size \"16 megs\" "
                        "(expected e.g. 256, 64KiB, 16MiB, 1GiB)"));
}

TEST(ConfigErrors, BadEnumValueListsTheAllowedOnes) {
  EXPECT_THAT(yaml_error("persistence:\n  backend: mysql\n"),
              HasSubstr("node.yaml:2:3: persistence.backend: invalid value \"mysql\" (allowed: "
                        "file, sqlite, postgres, redis, memory)"));
  EXPECT_THAT(yaml_error("log:\n  format: xml\n"),
              HasSubstr("log.format: invalid value \"xml\" (allowed: text, json)"));
  EXPECT_THAT(yaml_error("loadbalance:\n  services:\n    web: fastest\n"),
              HasSubstr("loadbalance.services: invalid value \"fastest\" for \"web\" (allowed: "
                        "round_robin,"));
}

TEST(ConfigErrors, InvalidAddress) {
  EXPECT_THAT(yaml_error("addresses:\n  http: localhost\n"),
              HasSubstr("node.yaml:2:3: addresses.http: invalid address \"localhost\" (expected "
                        "host:port, e.g. 127.0.0.1:8300)"));
  EXPECT_THAT(yaml_error("cluster:\n  seeds: [\"10.0.0.1:8301\", \"10.0.0.2\"]\n"),
              HasSubstr("cluster.seeds: invalid address \"10.0.0.2\" in list"));
}

TEST(ConfigErrors, EmptyRequiredValue) {
  EXPECT_THAT(yaml_error("node:\n  data_dir: \"\"\n"),
              HasSubstr("node.yaml:2:3: node.data_dir: must not be empty"));
  EXPECT_THAT(yaml_error("node:\n  data_dir:\n"),
              HasSubstr("node.yaml:2:3: node.data_dir: must not be empty"));
}

TEST(ConfigErrors, YamlSyntaxErrorCarriesLineAndColumn) {
  EXPECT_THAT(yaml_error("raft:\n  pre_vote: [true\n  lease_read: false\n"),
              AllOf(HasSubstr("node.yaml:3:"), HasSubstr("YAML syntax error: ")));
}

TEST(ConfigErrors, TopLevelMustBeAMapping) {
  EXPECT_THAT(yaml_error("- raft\n- log\n"),
              HasSubstr("node.yaml:1:1: expected a mapping of sections at the top level, got a "
                        "list"));
}

TEST(ConfigErrors, FileNotFound) {
  auto result = load(options("/nonexistent/synod/node.yaml"));
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(),
            "/nonexistent/synod/node.yaml: cannot read config file: No such file or directory");
}

TEST(ConfigErrors, DirectoryInsteadOfFile) {
  std::string dir = std::filesystem::path(write_yaml("")).parent_path().string();
  EXPECT_EQ(load_error(options(dir)), dir + ": cannot read config file: it is a directory");
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_THAT(yaml_error("raft:\n  pre_vote: true\n  lease_read: true\n  pre_vote: false\n"),
              HasSubstr("node.yaml:4:3: raft.pre_vote: duplicate key \"pre_vote\" (first defined "
                        "at line 2)"));
  EXPECT_THAT(yaml_error("log:\n  level: info\nraft: {}\nlog:\n  format: json\n"),
              HasSubstr("node.yaml:4:1: log: duplicate key \"log\" (first defined at line 1)"));
}

TEST(ConfigErrors, HeartbeatMustBeBelowElectionTimeout) {
  EXPECT_THAT(yaml_error("raft:\n  heartbeat_interval: 300ms\n"),
              HasSubstr("node.yaml:2:3: raft.heartbeat_interval: must be less than "
                        "raft.election_timeout (150ms), got 300ms"));
}

TEST(ConfigErrors, PostgresBackendNeedsAUrl) {
  EXPECT_THAT(yaml_error("persistence:\n  backend: postgres\n  postgres:\n    url: \"\"\n"),
              HasSubstr("node.yaml:4:5: persistence.postgres.url: must be set when "
                        "persistence.backend is postgres"));
}

TEST(ConfigErrors, SnapshotTrailingMustNotExceedThreshold) {
  EXPECT_THAT(yaml_error("raft:\n  snapshot_threshold: 100\n  snapshot_trailing: 101\n"),
              HasSubstr("node.yaml:3:3: raft.snapshot_trailing: must not exceed "
                        "raft.snapshot_threshold (100), got 101"));
}

TEST(ConfigErrors, MaxVotersMustBeOddAndPositive) {
  EXPECT_THAT(yaml_error("cluster:\n  max_voters: 4\n"),
              HasSubstr("node.yaml:2:3: cluster.max_voters: must be odd and at least 1, got 4"));
  EXPECT_THAT(yaml_error("cluster:\n  max_voters: 0\n"),
              HasSubstr("cluster.max_voters: must be odd and at least 1, got 0"));
}

TEST(ConfigErrors, ClusterKeyAndKeyFileAreExclusive) {
  EXPECT_THAT(yaml_error("crypto:\n  cluster_key: abc\n  cluster_key_file: /k\n"),
              HasSubstr("crypto.cluster_key: set either crypto.cluster_key or "
                        "crypto.cluster_key_file, not both"));
}

TEST(ConfigErrors, ZstdDictionaryNeedsZstdOnEncryptedChannels) {
  EXPECT_THAT(yaml_error("compression:\n  zstd_dictionary: true\n"),
              HasSubstr("node.yaml:2:3: compression.zstd_dictionary: needs compression.codec: "
                        "zstd, got lz4"));
  EXPECT_THAT(yaml_error("crypto:\n  enabled: false\ncompression:\n  codec: zstd\n"
                         "  zstd_dictionary: true\n"),
              HasSubstr("compression.zstd_dictionary: needs crypto.enabled"));
}

TEST(ConfigErrors, SecretValuesAreNotEchoed) {
  std::string error = yaml_error("crypto:\n  cluster_key: hunter2\n  cluster_key_file: /k\n");
  EXPECT_THAT(error, Not(HasSubstr("hunter2")));
}

TEST(ConfigErrors, UnknownEnvVariableIsNamed) {
  auto opts = options();
  opts.env = {{"SYNOD_RAFT_NOPE", "1"}, {"SYNOD_RAFT_PREVOTE", "true"}};
  std::string error = load_error(opts);
  EXPECT_THAT(error, HasSubstr("SYNOD_RAFT_NOPE: unknown config variable: no key of section "
                               "\"raft\" has this name\n"));
  EXPECT_THAT(error, HasSubstr("SYNOD_RAFT_PREVOTE: unknown config variable: no key of section "
                               "\"raft\" has this name (did you mean \"SYNOD_RAFT_PRE_VOTE\"?)"));
}

TEST(ConfigErrors, BadEnvValueNamesTheVariableAndKey) {
  auto opts = options();
  opts.env = {{"SYNOD_RAFT_HEARTBEAT_INTERVAL", "fast"}};
  EXPECT_EQ(load_error(opts),
            "SYNOD_RAFT_HEARTBEAT_INTERVAL: raft.heartbeat_interval: invalid duration \"fast\" "
            "(expected e.g. 150ms, 2s, 1m, 1h30m)");
}

TEST(ConfigErrors, BadSetSyntax) {
  auto opts = options();
  opts.overrides = {"raft.heartbeat_interval"};
  EXPECT_EQ(load_error(opts),
            "--set \"raft.heartbeat_interval\": invalid override (expected path=value, e.g. "
            "raft.heartbeat_interval=100ms)");
  opts.overrides = {"=5"};
  EXPECT_THAT(load_error(opts), HasSubstr("invalid override"));
}

TEST(ConfigErrors, BadSetKeyOrValueNamesTheFlag) {
  auto opts = options();
  opts.overrides = {"raft.heartbeat_interval=fast", "raft.hartbeat_interval=1s", "raft=1",
                    "loadbalance.services.web=fastest"};
  std::string error = load_error(opts);
  EXPECT_THAT(error, HasSubstr("--set raft.heartbeat_interval: invalid duration \"fast\""));
  EXPECT_THAT(error, HasSubstr("--set raft.hartbeat_interval: unknown key \"hartbeat_interval\" "
                               "in section \"raft\" (did you mean \"raft.heartbeat_interval\"?)"));
  EXPECT_THAT(error, HasSubstr("--set raft: is a section, not a key"));
  EXPECT_THAT(error, HasSubstr("--set loadbalance.services.web: loadbalance.services: invalid "
                               "value \"fastest\" for \"web\""));
}

TEST(ConfigErrors, CrossFieldErrorFromAFlagPointsAtTheFlag) {
  auto opts = options();
  opts.overrides = {"raft.election_timeout=20ms"};
  EXPECT_EQ(load_error(opts),
            "--set raft.election_timeout: raft.heartbeat_interval: must be less than "
            "raft.election_timeout (20ms), got 30ms");
}

TEST(ConfigErrors, AllProblemsAreReportedTogetherOnePerLine) {
  auto opts = options(write_yaml("raft:\n  pre_vote: maybe\nlog:\n  level: loud\n"));
  opts.env = {{"SYNOD_GOSSIP_NOPE", "1"}};
  opts.overrides = {"oops"};
  std::string error = load_error(opts);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 3) << error;
}

// Damaged files must give errors, never crash or throw.
TEST(ConfigErrors, MangledDefaultFilesNeverCrashTheLoader) {
  const std::string original = default_yaml();
  std::mt19937 rng(20261122);
  const std::string noise = ":-[]{}#\"' \n\t,&*!|>%@`?";
  std::string path = write_yaml(original);
  int rejected = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text = original;
    for (int edit = 0; edit < 4; ++edit) {
      std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text.erase(at, 1 + rng() % 8);
          break;
        case 1:
          text.insert(at, 1, noise[rng() % noise.size()]);
          break;
        default:
          text[at] = static_cast<char>(rng() % 128);
      }
    }
    std::ofstream(path, std::ios::trunc) << text;
    auto result = load(options(path));
    if (!result.is_ok()) {
      ++rejected;
      EXPECT_FALSE(result.status().message().empty());
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(ConfigErrors, ValidateChecksProgrammaticConfigs) {
  NodeConfig config;
  config.persistence.backend = "redis";
  config.persistence.redis.address = "";
  config.log.level = "loud";
  Status status = validate(config);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "log.level: invalid value \"loud\" (allowed: trace, debug, info, warn, error, off)");
  config.log.level = "info";
  EXPECT_EQ(validate(config).message(),
            "persistence.redis.address: must be set when persistence.backend is redis");
}

}  // namespace
}  // namespace synod::config
