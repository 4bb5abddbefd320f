// Per-resource indexes for the registry tables of issue 6.
#include "consensus/state/resource_indexes.h"

#include <gtest/gtest.h>

#include <map>

namespace synod::consensus::state {
namespace {

TEST(ResourceIndexes, BumpMovesOnlyTheNamedResourceForward) {
  ResourceIndexes indexes("catalog");
  ChangeSet changes;
  indexes.bump("service:web", 5, changes);
  indexes.bump("services", 5, changes);
  indexes.bump("service:db", 7, changes);
  indexes.bump("service:web", 4, changes);  // older: ignored
  EXPECT_EQ(indexes.get("service:web"), 5u);
  EXPECT_EQ(indexes.get("service:db"), 7u);
  EXPECT_EQ(indexes.get("service:none"), 0u);
  EXPECT_EQ(
      changes.keys(RecordTable::kMeta),
      (std::set<std::string, std::less<>>{"catalog/index/service:db", "catalog/index/service:web",
                                          "catalog/index/services"}));
}

TEST(ResourceIndexes, RecordsRoundTripAndDeletesAreRecorded) {
  ResourceIndexes indexes("catalog");
  ChangeSet changes;
  indexes.bump("service:web", 5, changes);
  indexes.bump("node:n1", 6, changes);
  indexes.forget("node:n1", changes);
  std::vector<RecordChange> out;
  indexes.records_for(changes, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].key, "catalog/index/node:n1");
  EXPECT_FALSE(out[0].record.has_value());
  ASSERT_TRUE(out[1].record.has_value());

  ResourceIndexes loaded("catalog");
  indexes.emit_records([&](RecordTable table, StateRecord record) {
    ASSERT_EQ(table, RecordTable::kMeta);
    ASSERT_TRUE(loaded.load_record(record.key, record.value).is_ok());
  });
  EXPECT_EQ(loaded.get("service:web"), 5u);
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.load_record("catalog/index/service:web", std::string(8, '\0')).code(),
            StatusCode::kCorruption)
      << "duplicate";
  EXPECT_EQ(loaded.load_record("catalog/index/x", "short").code(), StatusCode::kCorruption);
  EXPECT_EQ(loaded.load_record("kv/index", std::string(8, '\0')).code(), StatusCode::kCorruption);
  EXPECT_FALSE(loaded.owns_meta_key("catalog/index"));
  EXPECT_FALSE(loaded.owns_meta_key("catalog/indexes/x"));
}

}  // namespace
}  // namespace synod::consensus::state
