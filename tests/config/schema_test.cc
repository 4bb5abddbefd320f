#include "config/schema.h"

#include <algorithm>
#include <cstdint>
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

// Guards the "one table" rule while many people add fields: every byte of
// NodeConfig must be a table key, a section struct, or alignment padding. A
// field added to node_config.h without a table entry leaves a hole and fails
// here. The list of section structs below must name every nested struct.
TEST(ConfigSchema, TableCoversEveryFieldOfNodeConfig) {
  NodeConfig c;
  struct Span {
    std::uintptr_t begin;
    std::size_t size;
    std::size_t align;
    std::string name;
    bool container;
  };
  std::vector<Span> spans;
  auto add_struct = [&](const auto& s, std::string name) {
    spans.push_back({reinterpret_cast<std::uintptr_t>(&s), sizeof(s), alignof(decltype(s)),
                     std::move(name), true});
  };
  add_struct(c, "NodeConfig");
#define SECTION(member) add_struct(c.member, #member)
  SECTION(node), SECTION(addresses), SECTION(cluster), SECTION(raft), SECTION(persistence);
  SECTION(persistence.file), SECTION(persistence.sqlite), SECTION(persistence.postgres);
  SECTION(persistence.redis), SECTION(transport), SECTION(crypto), SECTION(compression);
  SECTION(gossip), SECTION(loadbalance), SECTION(loadbalance.outlier), SECTION(inference);
  SECTION(http), SECTION(checks), SECTION(log), SECTION(debug);
#undef SECTION
  for (const KeyInfo& key : schema()) {
    std::visit(
        [&](const auto* field) {
          spans.push_back({reinterpret_cast<std::uintptr_t>(field), sizeof(*field),
                           alignof(std::remove_pointer_t<decltype(field)>), std::string(key.path),
                           false});
        },
        key.const_field(c));
  }
  // `inner` lies within container `outer` (a leaf may fill a struct exactly).
  auto inside = [](const Span& inner, const Span& outer) {
    bool within =
        inner.begin >= outer.begin && inner.begin + inner.size <= outer.begin + outer.size;
    bool same = inner.begin == outer.begin && inner.size == outer.size;
    return outer.container && &inner != &outer && within && !(inner.container && same);
  };
  auto align_up = [](std::uintptr_t offset, std::size_t align) {
    return (offset + align - 1) / align * align;
  };
  for (const Span& container : spans) {
    if (!container.container) continue;
    std::vector<const Span*> children;  // direct children only
    for (const Span& child : spans) {
      if (!inside(child, container)) continue;
      bool nested = std::any_of(spans.begin(), spans.end(), [&](const Span& middle) {
        return inside(middle, container) && inside(child, middle);
      });
      if (!nested) children.push_back(&child);
    }
    std::sort(children.begin(), children.end(),
              [](const Span* a, const Span* b) { return a->begin < b->begin; });
    std::uintptr_t end = container.begin;
    for (const Span* child : children) {
      EXPECT_EQ(child->begin, align_up(end - container.begin, child->align) + container.begin)
          << "a field of " << container.name << " before " << child->name
          << " is missing from the schema table (config/schema_table.cc)";
      end = child->begin + child->size;
    }
    EXPECT_EQ(align_up(end - container.begin, container.align), container.size)
        << "a field at the end of " << container.name << " is missing from the schema table";
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
