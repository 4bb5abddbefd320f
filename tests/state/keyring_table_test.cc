// The replicated cluster keyring (consensus/state/keyring_table.h): Consul's
// install/use/remove rules applied through the state store, errors that
// never quote a key, snapshots, applied-state records and determinism.
#include "consensus/state/keyring_table.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/state/state_test_util.h"

namespace synod::consensus::state {
namespace {

using testing::Harness;

std::string key_of(char fill) { return std::string(kClusterKeyBytes, fill); }

ApplyResult keyring_op(Harness& h, proto::KeyringVerb verb, const std::string& key) {
  return h.run(make_keyring_command(verb, key));
}

// The status message of a refused op must not contain the key's bytes.
void expect_no_key_in(const Status& status, const std::string& key) {
  EXPECT_EQ(status.message().find(key), std::string::npos) << "key leaked into an error";
}

TEST(KeyringTable, FirstInstalledKeyBecomesPrimary) {
  Harness h;
  EXPECT_TRUE(h.store.keyring().empty());
  const ApplyResult result = keyring_op(h, proto::KEYRING_INSTALL, key_of('a'));
  ASSERT_TRUE(result.status.is_ok()) << result.status;
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(h.store.keyring().keys(), std::vector<std::string>{key_of('a')});
  EXPECT_EQ(h.store.keyring().primary(), key_of('a'));
  EXPECT_EQ(h.store.keyring().index(), 1u);
}

TEST(KeyringTable, InstallUseRemoveRotatesThePrimary) {
  Harness h;
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('b')).ok);
  EXPECT_EQ(h.store.keyring().primary(), key_of('a')) << "install never changes the primary";
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_USE, key_of('b')).ok);
  EXPECT_EQ(h.store.keyring().primary(), key_of('b'));
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_REMOVE, key_of('a')).ok);
  EXPECT_EQ(h.store.keyring().keys(), std::vector<std::string>{key_of('b')});
  EXPECT_EQ(h.store.keyring().primary(), key_of('b'));
  EXPECT_EQ(h.store.keyring().index(), 4u);
}

TEST(KeyringTable, RemovingAKeyBeforeThePrimaryKeepsThePrimary) {
  Harness h;
  for (char c : {'a', 'b', 'c'}) ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of(c)).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_USE, key_of('c')).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_REMOVE, key_of('a')).ok);
  EXPECT_EQ(h.store.keyring().primary(), key_of('c'));
  EXPECT_EQ(h.store.keyring().keys(), (std::vector<std::string>{key_of('b'), key_of('c')}));
}

TEST(KeyringTable, ReinstallingAndReusingChangeNothing) {
  Harness h;
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  (void)h.store.take_changes();
  EXPECT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  EXPECT_TRUE(keyring_op(h, proto::KEYRING_USE, key_of('a')).ok);
  EXPECT_TRUE(h.store.take_changes().empty());
  EXPECT_EQ(h.store.keyring().keys().size(), 1u);
  EXPECT_EQ(h.store.keyring().index(), 1u);
}

TEST(KeyringTable, UseOfAnUnknownKeyIsRefused) {
  Harness h;
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  const ApplyResult result = keyring_op(h, proto::KEYRING_USE, key_of('z'));
  EXPECT_EQ(result.status.code(), StatusCode::kNotFound);
  EXPECT_NE(result.status.message().find("not installed"), std::string::npos) << result.status;
  expect_no_key_in(result.status, key_of('z'));
  EXPECT_EQ(h.store.keyring().primary(), key_of('a'));
}

TEST(KeyringTable, RemovingThePrimaryOrAnUnknownKeyIsRefused) {
  Harness h;
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('b')).ok);
  const ApplyResult primary = keyring_op(h, proto::KEYRING_REMOVE, key_of('a'));
  EXPECT_EQ(primary.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(primary.status.message().find("primary"), std::string::npos) << primary.status;
  expect_no_key_in(primary.status, key_of('a'));
  const ApplyResult unknown = keyring_op(h, proto::KEYRING_REMOVE, key_of('z'));
  EXPECT_EQ(unknown.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(h.store.keyring().keys().size(), 2u);
}

TEST(KeyringTable, KeysThatAreNot32BytesAreRefusedAtDecode) {
  Harness h;
  for (const std::string& bad : {std::string(), std::string(31, 'a'), std::string(33, 'a')}) {
    const ApplyResult result = keyring_op(h, proto::KEYRING_INSTALL, bad);
    EXPECT_EQ(result.status.code(), StatusCode::kInvalidArgument) << bad.size() << " bytes";
  }
  proto::Command no_verb = make_keyring_command(proto::KEYRING_VERB_UNSPECIFIED, key_of('a'));
  EXPECT_EQ(h.run(no_verb).status.code(), StatusCode::kInvalidArgument);
  proto::Command extra = make_keyring_command(proto::KEYRING_INSTALL, key_of('a'));
  extra.mutable_keyring()->add_others(key_of('b'));
  EXPECT_EQ(h.run(extra).status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(h.store.keyring().empty());
}

TEST(KeyringTable, TheKeyringIsBounded) {
  Harness h;
  for (std::size_t i = 0; i < kMaxClusterKeys; ++i) {
    ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of(static_cast<char>('A' + i))).ok);
  }
  const ApplyResult full = keyring_op(h, proto::KEYRING_INSTALL, key_of('~'));
  EXPECT_EQ(full.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.store.keyring().keys().size(), kMaxClusterKeys);
}

TEST(KeyringTable, SeedFillsAnEmptyKeyringOnlyOnce) {
  Harness h;
  const ApplyResult seeded =
      h.run(make_keyring_seed_command(key_of('p'), {key_of('o'), key_of('p'), key_of('q')}));
  ASSERT_TRUE(seeded.status.is_ok()) << seeded.status;
  EXPECT_TRUE(seeded.ok);
  EXPECT_EQ(h.store.keyring().keys(),
            (std::vector<std::string>{key_of('p'), key_of('o'), key_of('q')}));
  EXPECT_EQ(h.store.keyring().primary(), key_of('p'));
  // A second leader's seed (a leader change during migration) is a no-op.
  const ApplyResult again = h.run(make_keyring_seed_command(key_of('x'), {}));
  EXPECT_TRUE(again.status.is_ok());
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(h.store.keyring().primary(), key_of('p'));
  EXPECT_FALSE(h.store.keyring().contains(key_of('x')));
}

TEST(KeyringTable, ChangesMarkTheKeyringAndItsIndex) {
  Harness h;
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('a')).ok);
  const ChangeSet changes = h.store.take_changes();
  EXPECT_TRUE(keyring_changed(changes));
  EXPECT_TRUE(changes.contains(RecordTable::kMeta, "keyring/index/keyring"));
  ASSERT_TRUE(h.op(kv_set_op("k", "v")).ok);
  EXPECT_FALSE(keyring_changed(h.store.take_changes())) << "a KV write is not a keyring change";
}

// Replays one history into a fresh store.
void rotate(Harness& h) {
  ASSERT_TRUE(h.run(make_keyring_seed_command(key_of('a'), {key_of('b')})).ok);
  ASSERT_TRUE(h.op(kv_set_op("k", "v")).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('c')).ok);
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_USE, key_of('c')).ok);
  ASSERT_FALSE(keyring_op(h, proto::KEYRING_REMOVE, key_of('c')).status.is_ok());
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_REMOVE, key_of('a')).ok);
}

TEST(KeyringTable, SameHistoryGivesIdenticalSnapshots) {
  Harness first, second;
  rotate(first);
  rotate(second);
  EXPECT_EQ(first.store.snapshot(), second.store.snapshot());
}

TEST(KeyringTable, SnapshotRoundTripKeepsKeysPrimaryAndIndex) {
  Harness h;
  rotate(h);
  const Bytes snapshot = h.store.snapshot();
  StateStore restored;
  ASSERT_TRUE(restored.restore(snapshot).is_ok());
  EXPECT_EQ(restored.snapshot(), snapshot);
  EXPECT_EQ(restored.keyring().keys(), h.store.keyring().keys());
  EXPECT_EQ(restored.keyring().primary(), key_of('c'));
  EXPECT_EQ(restored.keyring().index(), h.store.keyring().index());
  EXPECT_TRUE(keyring_changed(restored.take_changes())) << "a restore re-syncs node keyrings";
}

TEST(KeyringTable, DamagedKeyringRecordIsRejected) {
  const std::string two_keys = std::string("\x01", 1) + std::string("\x00\x00\x00\x00", 4) +
                               std::string("\x02\x00\x00\x00", 4) + key_of('a') + key_of('b');
  for (const std::string& bad :
       {two_keys.substr(0, two_keys.size() - 1),      // truncated
        std::string("\x07", 1) + two_keys.substr(1),  // version
        two_keys.substr(0, 1) + std::string("\x05\x00\x00\x00", 4) + two_keys.substr(5),  // primary
        two_keys.substr(0, 9) + key_of('a') + key_of('a')}) {  // duplicate
    SnapshotWriter writer(LogIndex(3));
    writer.add(RecordTable::kMeta, "keyring/state", bad);
    StateStore store;
    EXPECT_EQ(store.restore(writer.finish()).code(), StatusCode::kCorruption);
  }
  SnapshotWriter good(LogIndex(3));
  good.add(RecordTable::kMeta, "keyring/state", two_keys);
  StateStore store;
  ASSERT_TRUE(store.restore(good.finish()).is_ok());
  EXPECT_EQ(store.keyring().primary(), key_of('a'));
}

TEST(KeyringTable, IncrementalRecordsRebuildTheSameKeyring) {
  Harness h;
  std::map<std::pair<RecordTable, std::string>, Bytes> stored;
  auto persist = [&] {
    for (const RecordChange& change : h.store.records_for(h.store.take_changes()).changes) {
      if (change.record) {
        stored[{change.table, change.key}] = change.record->value;
      } else {
        stored.erase({change.table, change.key});
      }
    }
  };
  rotate(h);
  persist();
  ASSERT_TRUE(keyring_op(h, proto::KEYRING_INSTALL, key_of('d')).ok);
  persist();
  StateStore loaded;
  Status status = loaded.load_records(h.store.applied_index(), [&](const SnapshotVisitor& add) {
    for (const auto& [where, value] : stored)
      SYNOD_RETURN_IF_ERROR(add(where.first, where.second, value));
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status;
  EXPECT_EQ(loaded.snapshot(), h.store.snapshot());
  EXPECT_EQ(loaded.keyring().keys().size(), 3u);
}

}  // namespace
}  // namespace synod::consensus::state
