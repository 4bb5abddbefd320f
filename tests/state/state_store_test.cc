// The state store as a whole: blocking-query indexes, change notifications,
// snapshots, applied-state records and determinism.
#include "consensus/state/state_store.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/state/state_test_util.h"

namespace synod::consensus::state {
namespace {

using testing::Harness;
using KeySet = std::set<std::string, std::less<>>;

// Fills a harness with a bit of everything: values, locks, deletions.
void populate(Harness& h) {
  ASSERT_TRUE(h.add_node("test-node").ok);
  ASSERT_TRUE(h.add_session("s1", "test-node").ok);
  ASSERT_TRUE(h.op(kv_set_op("app/config", "x", 1)).ok);
  ASSERT_TRUE(h.op(kv_set_op("app/db/url", "postgres://")).ok);
  ASSERT_TRUE(h.op(kv_lock_op("app/leader", "s1", "node-1")).ok);
  ASSERT_TRUE(h.op(kv_set_op("other", std::string("\0bin\xff", 5))).ok);
  ASSERT_TRUE(h.op(kv_set_op("gone", "soon")).ok);
  ASSERT_TRUE(h.op(kv_delete_op("gone")).ok);
  ASSERT_TRUE(h.txn({kv_set_op("t/1", "a"), kv_set_op("t/2", "b")}).ok);
}

TEST(StateIndexes, WriteMovesOnlyItsKeyAndPrefixes) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("a/x", "1")).ok);  // 1
  ASSERT_TRUE(h.op(kv_set_op("b/y", "1")).ok);  // 2
  ASSERT_TRUE(h.op(kv_set_op("a/x", "2")).ok);  // 3
  const KvStore& kv = h.store.kv();
  EXPECT_EQ(kv.key_index("a/x"), 3u);
  EXPECT_EQ(kv.key_index("b/y"), 2u);
  EXPECT_EQ(kv.prefix_index("a/"), 3u);
  EXPECT_EQ(kv.prefix_index("a"), 3u);
  EXPECT_EQ(kv.prefix_index("b/"), 2u);
  EXPECT_EQ(kv.prefix_index("c/"), 0u);
  EXPECT_EQ(kv.table_index(), 3u);
  EXPECT_EQ(kv.get("a/x").index, 3u);
  EXPECT_EQ(kv.get("b/y").index, 2u);
  EXPECT_EQ(kv.list("b/").index, 2u);
  EXPECT_EQ(kv.list("").index, 3u);
  EXPECT_EQ(kv.get("missing").index, 3u) << "Consul: a missing key reports the table index";
  EXPECT_EQ(kv.list("c/").index, 3u);
}

TEST(StateIndexes, DeletionBumpsThePrefixThroughTombstones) {
  Harness h;
  ASSERT_TRUE(h.op(kv_set_op("a/x", "1")).ok);  // 1
  ASSERT_TRUE(h.op(kv_set_op("a/y", "1")).ok);  // 2
  ASSERT_TRUE(h.op(kv_set_op("b", "1")).ok);    // 3
  ASSERT_TRUE(h.op(kv_delete_op("a/y")).ok);    // 4
  const KvStore& kv = h.store.kv();
  EXPECT_EQ(kv.prefix_index("a/"), 4u);
  EXPECT_EQ(kv.list("a/").index, 4u);
  EXPECT_EQ(kv.keys("a/", "/").index, 4u);
  EXPECT_EQ(kv.key_index("a/y"), 4u);
  EXPECT_EQ(kv.prefix_index("b"), 3u);

  ASSERT_TRUE(h.run(make_reap_command(4, 0)).ok);  // 5
  EXPECT_EQ(kv.tombstone_count(), 0u);
  EXPECT_EQ(kv.prefix_index("a/"), 1u);
  EXPECT_EQ(kv.table_index(), 4u) << "reaping is not a KV write";
}

TEST(StateIndexes, EmptyStoreNeverReportsZero) {
  StateStore store;
  EXPECT_EQ(store.kv().get("k").index, 1u);
  EXPECT_EQ(store.kv().list("").index, 1u);
  EXPECT_EQ(store.kv().keys("p", "/").index, 1u);
}

TEST(StateNotifications, ListExactlyTheChangedKeys) {
  Harness h;
  std::vector<KeySet> seen;
  h.store.set_change_listener(
      [&](const ChangeSet& changes) { seen.push_back(changes.keys(RecordTable::kKv)); });
  std::vector<Entry> batch;
  auto add = [&](proto::Command command) {
    Entry entry;
    entry.index = LogIndex(batch.size() + 1);
    entry.data = encode_command(command);
    batch.push_back(entry);
  };
  add(make_kv_command(kv_set_op("a", "1")));
  add(make_kv_command(kv_set_op("b", "1")));
  add(make_kv_command(kv_cas_op("c", "1", 99)));  // fails: no change
  add(make_txn_command({kv_set_op("d", "1"), kv_delete_op("a")}));
  add(make_txn_command({kv_set_op("e", "1"), kv_cas_op("b", "x", 99)}));  // rolled back
  BatchOutcome outcome = h.store.apply_batch(batch);
  ASSERT_EQ(outcome.results.size(), 5u);
  ASSERT_EQ(seen.size(), 1u) << "one notification per batch";
  EXPECT_EQ(seen[0], (KeySet{"a", "b", "d"}));
  EXPECT_EQ(outcome.changes.keys(RecordTable::kKv), seen[0]);

  seen.clear();
  Entry noop;
  noop.index = LogIndex(6);
  noop.type = EntryType::kNoop;
  h.store.apply_batch(std::span<const Entry>(&noop, 1));
  EXPECT_TRUE(seen.empty()) << "no listener call for a batch without changes";
}

TEST(StateApply, GarbageEntryIsRefusedButApplied) {
  StateStore store;
  Entry entry;
  entry.index = LogIndex(1);
  entry.data = "not a command";
  ApplyResult result = store.apply(entry);
  EXPECT_FALSE(result.status.is_ok());
  EXPECT_EQ(store.applied_index(), LogIndex(1));
  EXPECT_TRUE(store.take_changes().empty());
  ApplyResult again = store.apply(entry);
  EXPECT_EQ(again.status.code(), StatusCode::kInternal) << "index 1 was already applied";
}

TEST(StateSnapshot, RoundTripIsExact) {
  Harness h;
  populate(h);
  const Bytes snapshot = h.store.snapshot();
  StateStore restored;
  ASSERT_TRUE(restored.restore(snapshot).is_ok());
  EXPECT_EQ(restored.applied_index(), h.store.applied_index());
  EXPECT_EQ(restored.snapshot(), snapshot);
  ASSERT_NE(restored.kv().find("other"), nullptr);
  EXPECT_EQ(*restored.kv().find("other"), h.entry("other"));
  EXPECT_EQ(restored.kv().keys_held_by("s1"), std::vector<std::string>{"app/leader"});
  EXPECT_EQ(restored.kv().key_index("gone"), h.store.kv().key_index("gone"));
  EXPECT_EQ(restored.kv().table_index(), h.store.kv().table_index());
  // Watchers must wake after a restore: every restored key is marked.
  EXPECT_TRUE(restored.take_changes().contains(RecordTable::kKv, "app/config"));
}

TEST(StateSnapshot, CorruptionIsRejectedAndStateKept) {
  Harness h;
  populate(h);
  const Bytes good = h.store.snapshot();
  StateStore target;
  ASSERT_TRUE(target.restore(good).is_ok());
  const Bytes before = target.snapshot();

  for (std::size_t at : {std::size_t{0}, std::size_t{5}, good.size() / 2, good.size() - 1}) {
    Bytes bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    Status status = target.restore(bad);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << "flipped byte " << at;
  }
  EXPECT_EQ(target.restore(good.substr(0, good.size() - 7)).code(), StatusCode::kCorruption);
  EXPECT_EQ(target.restore("").code(), StatusCode::kCorruption);
  EXPECT_EQ(target.snapshot(), before) << "a refused restore changes nothing";
}

TEST(StateSnapshot, DamagedRecordWithValidChecksumIsRejected) {
  SnapshotWriter writer(LogIndex(3));
  writer.add(RecordTable::kKv, "k", "definitely not a KvEntryRecord \xff\xff");
  StateStore store;
  Status status = store.restore(writer.finish());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("\"k\""), std::string::npos) << status;

  SnapshotWriter unknown(LogIndex(3));
  unknown.add(RecordTable::kMeta, "nobody/index", std::string(8, '\0'));
  EXPECT_EQ(store.restore(unknown.finish()).code(), StatusCode::kCorruption);
}

// A stand-in for the persistence AppliedStateStore: applies record changes.
using StoredRecords = std::map<std::pair<RecordTable, std::string>, StateRecord>;
void persist(StoredRecords& stored, const AppliedRecords& records) {
  if (records.replace_all) stored.clear();
  for (const RecordChange& change : records.changes) {
    if (change.record) {
      stored[{change.table, change.key}] = *change.record;
    } else {
      stored.erase({change.table, change.key});
    }
  }
}

TEST(StateRecords, IncrementalRecordsRebuildTheSameState) {
  Harness h;
  StoredRecords stored;
  auto step = [&](auto&& apply) {
    apply();
    persist(stored, h.store.records_for(h.store.take_changes()));
  };
  step([&] { populate(h); });
  step([&] { ASSERT_TRUE(h.op(kv_delete_tree_op("app/db/")).ok); });
  step([&] { ASSERT_TRUE(h.op(kv_unlock_op("app/leader", "s1")).ok); });
  step([&] { ASSERT_TRUE(h.run(make_reap_command(8, 0)).ok); });

  StateStore loaded;
  Status status = loaded.load_records(h.store.applied_index(), [&](const SnapshotVisitor& add) {
    for (const auto& [where, record] : stored)
      SYNOD_RETURN_IF_ERROR(add(where.first, record.key, record.value));
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status;
  EXPECT_EQ(loaded.snapshot(), h.store.snapshot());
  EXPECT_TRUE(loaded.take_changes().empty());

  StoredRecords full;
  persist(full, h.store.all_records());
  EXPECT_EQ(full, stored);
}

TEST(StateRecords, KvColumnsFollowThePersistenceSchema) {
  Harness h({"s1"});  // indexes 1, 2
  h.store.take_changes();
  ASSERT_TRUE(h.op(kv_lock_op("k", "s1", "v", 7)).ok);
  AppliedRecords records = h.store.records_for(h.store.take_changes());
  EXPECT_EQ(records.applied_index, LogIndex(3));
  ASSERT_FALSE(records.changes.empty());
  const RecordChange& kv = records.changes[0];
  ASSERT_EQ(kv.table, RecordTable::kKv);
  ASSERT_TRUE(kv.record.has_value());
  const std::vector<RecordColumn> expected = {std::int64_t{7}, std::string("s1"), std::int64_t{3},
                                              std::int64_t{3}, std::int64_t{1}};
  EXPECT_EQ(kv.record->columns, expected);

  ASSERT_TRUE(h.op(kv_delete_op("k")).ok);
  AppliedRecords deleted = h.store.records_for(h.store.take_changes());
  ASSERT_EQ(deleted.changes[0].table, RecordTable::kKv);
  EXPECT_FALSE(deleted.changes[0].record.has_value());
}

TEST(StateRecords, BadRecordLeavesStateUnchanged) {
  Harness h;
  populate(h);
  const Bytes before = h.store.snapshot();
  Status status = h.store.load_records(LogIndex(99), [](const SnapshotVisitor& add) {
    return add(RecordTable::kMeta, "kv/index", "short");
  });
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(h.store.snapshot(), before);
}

// A deterministic pseudo-random command stream (no std::random: its
// distributions differ between standard libraries).
class CommandStream {
 public:
  explicit CommandStream(std::uint64_t seed) : state_(seed) {}
  proto::Command next() {
    const std::string key = "k/" + std::to_string(pick(8)) + "/" + std::to_string(pick(4));
    const std::string session = "s" + std::to_string(pick(3));
    const std::uint64_t now = ++time_ * 100;
    switch (pick(14)) {
      case 9: {
        proto::CatalogRegister reg;
        const std::string node = "n" + std::to_string(pick(3));
        reg.mutable_node()->set_node(node);
        reg.mutable_node()->set_address("10.0.0." + std::to_string(pick(4)));
        (*reg.mutable_node()->mutable_meta())["m" + std::to_string(pick(3))] = value();
        if (pick(2) == 0) {
          reg.mutable_service()->set_service("svc" + std::to_string(pick(3)));
          reg.mutable_service()->add_tags(value());
        }
        auto* check = reg.add_checks();
        check->set_check_id("c" + std::to_string(pick(2)));
        check->set_status(static_cast<proto::HealthStatus>(pick(5)));
        return make_register_command(std::move(reg), now);
      }
      case 10:
        return make_check_status_command(
            {check_status_update("n" + std::to_string(pick(3)), "c" + std::to_string(pick(2)),
                                 static_cast<proto::HealthStatus>(1 + pick(4)), value())},
            now);
      case 11: {
        proto::Session created;
        created.set_id(session);
        created.set_node("n" + std::to_string(pick(3)));
        created.set_lock_delay_ms(pick(3) * 1000);
        created.set_behavior(static_cast<proto::SessionBehavior>(pick(2)));
        if (pick(2) == 0) created.add_node_checks("c" + std::to_string(pick(2)));
        return make_session_create_command(std::move(created), now);
      }
      case 12:
        return pick(2) == 0 ? make_session_destroy_command(session, now)
                            : make_session_invalidate_command({session}, now);
      case 13:
        return make_deregister_command("n" + std::to_string(pick(3)),
                                       pick(2) == 0 ? "" : "svc" + std::to_string(pick(3)), {},
                                       now);
      case 0:
        return make_kv_command(kv_cas_op(key, value(), pick(40)), now);
      case 1:
        return make_kv_command(kv_delete_op(key), now);
      case 2:
        return make_kv_command(kv_delete_tree_op("k/" + std::to_string(pick(8))), now);
      case 3:
        return make_kv_command(kv_lock_op(key, session, value()), now);
      case 4:
        return make_kv_command(kv_unlock_op(key, session), now);
      case 5:
        return make_txn_command({kv_set_op(key, value()), kv_cas_op(key + "x", "v", pick(30)),
                                 kv_lock_op(key, session)},
                                now);
      case 6:
        return make_reap_command(pick(100), now);
      default:
        return make_kv_command(kv_set_op(key, value(), pick(3)), now);
    }
  }

 private:
  std::uint64_t pick(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return (state_ >> 33) % bound;
  }
  std::string value() { return std::string(pick(16), static_cast<char>('a' + pick(26))); }
  std::uint64_t state_;
  std::uint64_t time_ = 0;
};

TEST(StateDeterminism, SameCommandsGiveIdenticalBytes) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Harness first({"s0", "s1", "s2"});
    Harness second({"s0", "s1", "s2"});
    CommandStream stream_a(seed);
    CommandStream stream_b(seed);
    for (int i = 0; i < 400; ++i) {
      ApplyResult a = first.run(stream_a.next());
      ApplyResult b = second.run(stream_b.next());
      ASSERT_EQ(encode_apply_result(a), encode_apply_result(b)) << "seed " << seed << " op " << i;
      if (i == 200) {
        // A replica that restarts from a snapshot mid-stream must not diverge.
        ASSERT_TRUE(second.store.restore(second.store.snapshot()).is_ok());
      }
    }
    EXPECT_GT(first.store.kv().size(), 0u);
    EXPECT_GT(first.store.catalog().node_count(), 0u);
    EXPECT_EQ(first.store.snapshot(), second.store.snapshot()) << "seed " << seed;
    StateStore restored;
    ASSERT_TRUE(restored.restore(first.store.snapshot()).is_ok());
    EXPECT_EQ(restored.snapshot(), first.store.snapshot()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace synod::consensus::state
