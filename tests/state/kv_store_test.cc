// Consul KV semantics of the replicated KV table, driven through the log.
#include "consensus/state/kv_store.h"

#include <gtest/gtest.h>

#include "tests/state/state_test_util.h"

namespace synod::consensus::state {
namespace {

using testing::Harness;

TEST(KvSet, CreatesThenUpdatesKeepingCreateIndex) {
  Harness h;
  ApplyResult created = h.op(kv_set_op("a", "1", 42));
  ASSERT_TRUE(created.status.is_ok());
  EXPECT_TRUE(created.ok);
  EXPECT_EQ(h.entry("a").value, "1");
  EXPECT_EQ(h.entry("a").flags, 42u);
  EXPECT_EQ(h.entry("a").create_index, 1u);
  EXPECT_EQ(h.entry("a").modify_index, 1u);

  EXPECT_TRUE(h.op(kv_set_op("a", "2")).ok);
  EXPECT_EQ(h.entry("a").value, "2");
  EXPECT_EQ(h.entry("a").flags, 0u);
  EXPECT_EQ(h.entry("a").create_index, 1u);
  EXPECT_EQ(h.entry("a").modify_index, 2u);
  EXPECT_EQ(h.store.kv().table_index(), 2u);
}

TEST(KvCas, ZeroIndexIsCreateOnly) {
  Harness h;
  EXPECT_TRUE(h.op(kv_cas_op("a", "first", 0)).ok);
  ApplyResult second = h.op(kv_cas_op("a", "second", 0));
  ASSERT_TRUE(second.status.is_ok());
  EXPECT_FALSE(second.ok);
  EXPECT_EQ(h.entry("a").value, "first");
  EXPECT_EQ(h.entry("a").modify_index, 1u);
  EXPECT_EQ(h.store.kv().table_index(), 1u);
}

TEST(KvCas, SucceedsOnlyAtTheCurrentModifyIndex) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("a", "1")).ok);          // index 1
  EXPECT_FALSE(h.op(kv_cas_op("a", "stale", 7)).ok);  // index 2
  EXPECT_EQ(h.entry("a").value, "1");
  EXPECT_TRUE(h.op(kv_cas_op("a", "fresh", 1)).ok);  // index 3
  EXPECT_EQ(h.entry("a").value, "fresh");
  EXPECT_EQ(h.entry("a").modify_index, 3u);
  EXPECT_FALSE(h.op(kv_cas_op("missing", "x", 3)).ok);  // no key at a non-zero index
  EXPECT_EQ(h.store.kv().find("missing"), nullptr);
}

TEST(KvDelete, RemovesKeyAndMissingKeyIsStillTrue) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("a", "1")).ok);
  EXPECT_TRUE(h.op(kv_delete_op("a")).ok);
  EXPECT_EQ(h.store.kv().find("a"), nullptr);
  EXPECT_EQ(h.store.kv().table_index(), 2u);
  EXPECT_TRUE(h.op(kv_delete_op("a")).ok);
  EXPECT_EQ(h.store.kv().table_index(), 2u) << "deleting nothing is not a KV write";
}

TEST(KvDeleteCas, DeletesOnlyAtTheCurrentIndex) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("a", "1")).ok);
  EXPECT_FALSE(h.op(kv_delete_cas_op("a", 9)).ok);
  EXPECT_NE(h.store.kv().find("a"), nullptr);
  EXPECT_TRUE(h.op(kv_delete_cas_op("a", 1)).ok);
  EXPECT_EQ(h.store.kv().find("a"), nullptr);
  EXPECT_TRUE(h.op(kv_delete_cas_op("a", 1)).ok) << "Consul: a missing key counts as deleted";
}

TEST(KvDeleteTree, RemovesExactlyThePrefix) {
  Harness h;
  for (const char* key : {"app/a", "app/b/c", "apple", "other"}) {
    ASSERT_TRUE(h.op(kv_set_op(key, "v")).ok);
  }
  EXPECT_TRUE(h.op(kv_delete_tree_op("app/")).ok);
  EXPECT_EQ(h.store.kv().size(), 2u);
  EXPECT_NE(h.store.kv().find("apple"), nullptr);
  EXPECT_NE(h.store.kv().find("other"), nullptr);
  EXPECT_TRUE(h.op(kv_delete_tree_op("")).ok);
  EXPECT_EQ(h.store.kv().size(), 0u);
}

TEST(KvRead, ListAndKeysWithSeparator) {
  Harness h;
  for (const char* key : {"a/b/c", "a/b/d", "a/e", "a/f/", "b", "ab"}) {
    ASSERT_TRUE(h.op(kv_set_op(key, key)).ok);
  }
  KvListResult listed = h.store.kv().list("a/");
  ASSERT_EQ(listed.entries.size(), 4u);
  EXPECT_EQ(listed.entries[0]->key, "a/b/c");
  EXPECT_EQ(listed.entries[3]->key, "a/f/");

  EXPECT_EQ(h.store.kv().keys("a/", "/").keys, (std::vector<std::string>{"a/b/", "a/e", "a/f/"}));
  EXPECT_EQ(h.store.kv().keys("", "/").keys, (std::vector<std::string>{"a/", "ab", "b"}));
  EXPECT_EQ(h.store.kv().keys("a", "").keys,
            (std::vector<std::string>{"a/b/c", "a/b/d", "a/e", "a/f/", "ab"}));
  EXPECT_TRUE(h.store.kv().keys("zzz", "/").keys.empty());
}

TEST(KvLock, AcquireCountsOnlyHolderChanges) {
  Harness h({"s1", "s2"});  // indexes 1-3
  ApplyResult first = h.op(kv_lock_op("lock", "s1", "owner1"));
  ASSERT_TRUE(first.status.is_ok());
  EXPECT_TRUE(first.ok);
  EXPECT_EQ(h.entry("lock").session, "s1");
  EXPECT_EQ(h.entry("lock").lock_index, 1u);
  EXPECT_EQ(h.entry("lock").value, "owner1");

  EXPECT_TRUE(h.op(kv_lock_op("lock", "s1", "again")).ok) << "the holder may re-acquire";
  EXPECT_EQ(h.entry("lock").lock_index, 1u);

  EXPECT_FALSE(h.op(kv_lock_op("lock", "s2")).ok) << "held by another session";
  EXPECT_EQ(h.entry("lock").session, "s1");

  EXPECT_FALSE(h.op(kv_unlock_op("lock", "s2")).ok) << "only the holder releases";
  EXPECT_EQ(h.entry("lock").session, "s1");

  EXPECT_TRUE(h.op(kv_unlock_op("lock", "s1", "free")).ok);
  EXPECT_EQ(h.entry("lock").session, "");
  EXPECT_EQ(h.entry("lock").lock_index, 1u);
  EXPECT_EQ(h.entry("lock").value, "free");

  EXPECT_TRUE(h.op(kv_lock_op("lock", "s2")).ok);
  EXPECT_EQ(h.entry("lock").lock_index, 2u);
  EXPECT_EQ(h.entry("lock").create_index, 4u);
  EXPECT_FALSE(h.op(kv_unlock_op("missing", "s2")).ok);
}

TEST(KvLock, PlainSetKeepsTheLock) {
  Harness h({"s1"});
  ASSERT_TRUE(h.op(kv_lock_op("k", "s1")).ok);
  ASSERT_TRUE(h.op(kv_set_op("k", "new")).ok);
  EXPECT_EQ(h.entry("k").session, "s1");
  EXPECT_EQ(h.entry("k").lock_index, 1u);
  EXPECT_EQ(h.store.kv().keys_held_by("s1"), std::vector<std::string>{"k"});
}

TEST(KvLock, AcquireWithInvalidSessionIsAnError) {
  SessionSet sessions;
  sessions.add("alive");
  KvStore kv(&sessions);
  ChangeSet changes;
  const KvApplyContext ctx{1, 0, &changes};
  Result<bool> refused = kv.apply_op(kv_lock_op("k", "dead"), ctx);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().message(), "invalid session \"dead\"");
  EXPECT_TRUE(changes.empty());
  Result<bool> taken = kv.apply_op(kv_lock_op("k", "alive"), ctx);
  ASSERT_TRUE(taken.is_ok());
  EXPECT_TRUE(*taken);
}

TEST(KvLock, SessionInvalidationReleasesAndLockDelayBlocks) {
  AnySessionValid sessions;
  KvStore kv(&sessions);
  ChangeSet changes;
  ASSERT_TRUE(*kv.apply_op(kv_lock_op("a", "s1"), {1, 1000, &changes}));
  ASSERT_TRUE(*kv.apply_op(kv_lock_op("b", "s1"), {2, 1000, &changes}));
  ASSERT_TRUE(*kv.apply_op(kv_set_op("c", "untouched"), {3, 1000, &changes}));

  kv.invalidate_session("s1", SessionBehavior::kRelease, 15000, {4, 2000, &changes});
  EXPECT_EQ(kv.find("a")->session, "");
  EXPECT_EQ(kv.find("a")->modify_index, 4u);
  EXPECT_EQ(kv.find("c")->modify_index, 3u);
  EXPECT_TRUE(kv.keys_held_by("s1").empty());
  EXPECT_EQ(kv.lock_delay_until("a"), 17000u);

  EXPECT_FALSE(*kv.apply_op(kv_lock_op("a", "s2"), {5, 16999, &changes}));
  ASSERT_TRUE(*kv.apply_op(kv_lock_op("a", "s2"), {6, 17000, &changes}));
  EXPECT_EQ(kv.find("a")->lock_index, 2u);
}

TEST(KvLock, DeleteBehaviorRemovesHeldKeys) {
  AnySessionValid sessions;
  KvStore kv(&sessions);
  ChangeSet changes;
  ASSERT_TRUE(*kv.apply_op(kv_lock_op("a", "s1"), {1, 0, &changes}));
  ASSERT_TRUE(*kv.apply_op(kv_lock_op("b", "s2"), {2, 0, &changes}));
  kv.invalidate_session("s1", SessionBehavior::kDelete, 0, {3, 0, &changes});
  EXPECT_EQ(kv.find("a"), nullptr);
  EXPECT_NE(kv.find("b"), nullptr);
  EXPECT_EQ(kv.key_index("a"), 3u);
  EXPECT_FALSE(kv.lock_delay_until("a").has_value());
}

TEST(KvTxn, AllOrNothingWithEveryFailingOpReported) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("existing", "old")).ok);  // index 1
  ApplyResult result =
      h.txn({kv_set_op("a", "1"), kv_cas_op("existing", "x", 99), kv_delete_op("existing"),
             kv_read_op(proto::KV_GET, "nope"), kv_set_op("b", "2")});
  ASSERT_TRUE(result.status.is_ok());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.txn.results.empty());
  ASSERT_EQ(result.txn.errors.size(), 2u);
  EXPECT_EQ(result.txn.errors[0],
            (TxnOpError{1, "failed to set key \"existing\", index is stale"}));
  EXPECT_EQ(result.txn.errors[1], (TxnOpError{3, "key \"nope\" doesn't exist"}));
  EXPECT_EQ(h.store.kv().find("a"), nullptr);
  EXPECT_EQ(h.store.kv().find("b"), nullptr);
  EXPECT_EQ(h.entry("existing").value, "old");
  EXPECT_EQ(h.store.kv().table_index(), 1u);
  EXPECT_EQ(h.store.kv().tombstone_count(), 0u) << "the delete's tombstone was rolled back";
  const std::set<std::string, std::less<>> only_first{"existing"};
  EXPECT_EQ(h.store.take_changes().keys(RecordTable::kKv), only_first)
      << "only the first command changed anything";
}

TEST(KvTxn, RollbackRestoresLocks) {
  Harness h({"s1"});
  ASSERT_TRUE(h.op(kv_lock_op("held", "s1", "v")).ok);
  ApplyResult result =
      h.txn({kv_delete_op("held"), kv_lock_op("other", "s1"), kv_cas_op("held", "x", 999)});
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(h.entry("held").session, "s1");
  EXPECT_EQ(h.store.kv().keys_held_by("s1"), std::vector<std::string>{"held"});
}

TEST(KvTxn, CommittedResultsFollowConsul) {
  Harness h({"s1"});                                          // 1, 2
  ASSERT_TRUE(h.op(kv_set_op("dir/x", "X")).ok);              // 3
  ASSERT_TRUE(h.op(kv_lock_op("dir/locked", "s1", "L")).ok);  // 4
  ApplyResult result = h.txn({
      kv_set_op("new", "N", 5),                       // result, value blanked
      kv_read_op(proto::KV_GET, "new"),               // sees the set, with value
      kv_read_op(proto::KV_GET_TREE, "dir/"),         // two entries with values
      kv_read_op(proto::KV_CHECK_INDEX, "dir/x", 3),  // result, value blanked
      kv_read_op(proto::KV_CHECK_SESSION, "dir/locked", 0, "s1"),
      kv_read_op(proto::KV_CHECK_NOT_EXISTS, "absent"),  // no result
      kv_delete_op("dir/x"),                             // no result
  });
  ASSERT_TRUE(result.status.is_ok());
  ASSERT_TRUE(result.ok);
  ASSERT_TRUE(result.txn.errors.empty());
  ASSERT_EQ(result.txn.results.size(), 6u);
  EXPECT_EQ(result.txn.results[0].key, "new");
  EXPECT_EQ(result.txn.results[0].value, "");
  EXPECT_EQ(result.txn.results[0].flags, 5u);
  EXPECT_EQ(result.txn.results[0].modify_index, 5u);
  EXPECT_EQ(result.txn.results[1].value, "N");
  EXPECT_EQ(result.txn.results[2].key, "dir/locked");
  EXPECT_EQ(result.txn.results[2].value, "L");
  EXPECT_EQ(result.txn.results[3].key, "dir/x");
  EXPECT_EQ(result.txn.results[3].value, "X");
  EXPECT_EQ(result.txn.results[4].value, "");
  EXPECT_EQ(result.txn.results[5].session, "s1");
  EXPECT_EQ(h.store.kv().find("dir/x"), nullptr);
  EXPECT_EQ(h.entry("new").modify_index, 5u);
}

TEST(KvTxn, CheckFailuresNameTheCause) {
  Harness h({"s1", "s2"});  // indexes 1-3
  ASSERT_TRUE(h.op(kv_set_op("k", "v")).ok);
  ApplyResult result = h.txn(
      {kv_read_op(proto::KV_CHECK_INDEX, "k", 5), kv_read_op(proto::KV_CHECK_INDEX, "gone", 1),
       kv_read_op(proto::KV_CHECK_SESSION, "k", 0, "s9"),
       kv_read_op(proto::KV_CHECK_NOT_EXISTS, "k"), kv_delete_cas_op("k", 77),
       kv_unlock_op("k", "s9"), kv_lock_op("k", "s1"), kv_lock_op("k", "s2")});
  ASSERT_EQ(result.txn.errors.size(), 7u);
  EXPECT_EQ(result.txn.errors[0].what,
            "failed index check for key \"k\", current modify index 4 != 5");
  EXPECT_EQ(result.txn.errors[1].what, "failed index check for key \"gone\", key doesn't exist");
  EXPECT_EQ(result.txn.errors[2].what,
            "failed session check for key \"k\", current session \"\" != \"s9\"");
  EXPECT_EQ(result.txn.errors[3].what, "key \"k\" exists");
  EXPECT_EQ(result.txn.errors[4].what, "failed to delete key \"k\", index is stale");
  EXPECT_EQ(result.txn.errors[5].what,
            "failed to unlock key \"k\", lock isn't held, or is held by another session");
  EXPECT_EQ(result.txn.errors[6].op_index, 7u) << "op 6 took the lock, op 7 found it held";
  EXPECT_EQ(result.txn.errors[6].what, "failed to lock key \"k\", lock is already held");
  EXPECT_EQ(h.entry("k").session, "");
}

TEST(KvTxn, ReadOnlyTxnNeedsNoLog) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("k", "v")).ok);
  google::protobuf::RepeatedPtrField<proto::KvOp> ops;
  *ops.Add() = kv_read_op(proto::KV_GET, "k");
  TxnOutcome read = h.store.kv().read_txn(ops);
  ASSERT_TRUE(read.committed());
  ASSERT_EQ(read.results.size(), 1u);
  EXPECT_EQ(read.results[0].value, "v");
  *ops.Add() = kv_set_op("k", "w");
  TxnOutcome refused = h.store.kv().read_txn(ops);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].op_index, 1u);
  EXPECT_TRUE(refused.results.empty());
}

}  // namespace
}  // namespace synod::consensus::state
