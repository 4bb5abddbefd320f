#include "config/schema.h"

#include <set>

#include "tests/config/test_util.h"

namespace synod::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The kind must match the storage type the accessor points at.
bool storage_matches(const KeyInfo& key) {
  NodeConfig probe;
  return std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        switch (key.kind) {
          case Kind::kBool:
            return std::is_same_v<T, bool>;
          case Kind::kInteger:
            return std::is_integral_v<T> && !std::is_same_v<T, bool>;
          case Kind::kDouble:
            return std::is_same_v<T, double>;
          case Kind::kString:
          case Kind::kEnum:
          case Kind::kAddress:
            return std::is_same_v<T, std::string>;
          case Kind::kDuration:
            return std::is_same_v<T, Millis>;
          case Kind::kByteSize:
            return std::is_same_v<T, std::uint64_t>;
          case Kind::kStringList:
          case Kind::kAddressList:
            return std::is_same_v<T, std::vector<std::string>>;
          case Kind::kStringMap:
            return std::is_same_v<T, std::map<std::string, std::string>>;
        }
        return false;
      },
      key.field(probe));
}

TEST(ConfigSchema, EveryKeyIsWellFormed) {
  std::set<std::string_view> paths;
  std::set<std::string> env_names;
  for (const KeyInfo& key : schema()) {
    SCOPED_TRACE(std::string(key.path));
    EXPECT_TRUE(paths.insert(key.path).second) << "duplicate path";
    EXPECT_TRUE(env_names.insert(key.env_name()).second) << "two keys share an env name";
    EXPECT_TRUE(storage_matches(key)) << "kind does not match the field type";
    EXPECT_FALSE(key.doc.empty());
    EXPECT_NE(key.path.find('.'), std::string_view::npos) << "keys live in a section";
    EXPECT_EQ(key.allowed.empty(), key.kind != Kind::kEnum && key.kind != Kind::kStringMap);
  }
}

TEST(ConfigSchema, AccessorsPointIntoTheGivenConfig) {
  NodeConfig config;
  const KeyInfo* key = find_key("raft.heartbeat_interval");
  ASSERT_NE(key, nullptr);
  *std::get<Millis*>(key->field(config)) = Millis(77);
  EXPECT_EQ(config.raft.heartbeat_interval, Millis(77));
  EXPECT_EQ(std::get<const Millis*>(key->const_field(config)), &config.raft.heartbeat_interval);
}

TEST(ConfigSchema, SectionsAreContiguousSoRenderingNeverRepeatsOne) {
  const auto& keys = schema();
  std::set<std::string_view> sections;
  for (const KeyInfo& key : keys) {
    for (std::size_t dot = key.path.find('.'); dot != std::string_view::npos;
         dot = key.path.find('.', dot + 1)) {
      sections.insert(key.path.substr(0, dot));
    }
  }
  for (std::string_view section : sections) {
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].path.starts_with(std::string(section) + ".")) members.push_back(i);
    }
    EXPECT_EQ(members.back() - members.front() + 1, members.size()) << section;
  }
}

TEST(ConfigSchema, EveryDefaultPassesItsOwnChecks) {
  NodeConfig defaults;
  for (const KeyInfo& key : schema()) {
    EXPECT_EQ(check_value(key, defaults), "") << key.path;
  }
  EXPECT_TRUE(validate(defaults).is_ok()) << validate(defaults);
}

TEST(ConfigSchema, EnvNamesUpperCaseThePathWithUnderscores) {
  EXPECT_EQ(find_key("raft.heartbeat_interval")->env_name(), "SYNOD_RAFT_HEARTBEAT_INTERVAL");
  EXPECT_EQ(find_key("persistence.postgres.url")->env_name(), "SYNOD_PERSISTENCE_POSTGRES_URL");
}

TEST(ConfigSchema, SectionsAndChildren) {
  EXPECT_TRUE(is_section("persistence.postgres"));
  EXPECT_FALSE(is_section("raft.heartbeat_interval"));
  EXPECT_THAT(children_of("persistence.file"), ElementsAre("segment_bytes"));
  EXPECT_THAT(children_of("nope"), IsEmpty());
  EXPECT_EQ(children_of("").size(), 15u);  // the NodeConfig sections
}

TEST(ConfigSchema, SuggestionsFindTyposAndPrefixesButNotNoise) {
  std::vector<std::string> keys = children_of("raft");
  EXPECT_EQ(closest_match("heartbeet", keys), "heartbeat_interval");
  EXPECT_EQ(closest_match("election_timout", keys), "election_timeout");
  EXPECT_EQ(closest_match("prevote", keys), "pre_vote");
  EXPECT_EQ(closest_match("zebra", keys), "");
}

TEST(ConfigSchema, SetFromTextParsesEachKind) {
  NodeConfig c;
  EXPECT_EQ(set_from_text(*find_key("raft.pre_vote"), c, "false"), "");
  EXPECT_EQ(set_from_text(*find_key("compression.zstd_level"), c, "-3"), "");
  EXPECT_EQ(set_from_text(*find_key("loadbalance.hedge_percentile"), c, "99.5"), "");
  EXPECT_EQ(set_from_text(*find_key("raft.max_append_bytes"), c, "2MiB"), "");
  EXPECT_EQ(set_from_text(*find_key("cluster.seeds"), c, "10.0.0.1:8301, 10.0.0.2:8301"), "");
  EXPECT_EQ(set_from_text(*find_key("loadbalance.services"), c, "web=maglev,db=random"), "");
  EXPECT_FALSE(c.raft.pre_vote);
  EXPECT_EQ(c.compression.zstd_level, -3);
  EXPECT_EQ(c.loadbalance.hedge_percentile, 99.5);
  EXPECT_EQ(c.raft.max_append_bytes, 2u << 20);
  EXPECT_THAT(c.cluster.seeds, ElementsAre("10.0.0.1:8301", "10.0.0.2:8301"));
  EXPECT_EQ(c.loadbalance.services,
            (std::map<std::string, std::string>{{"db", "random"}, {"web", "maglev"}}));
}

}  // namespace
}  // namespace synod::config
