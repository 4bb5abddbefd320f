// The wire codec (untrusted input), MemoryStorage and the test KV machine.
#include <gtest/gtest.h>

#include "common/random.h"
#include "consensus/memory_storage.h"
#include "consensus/message_codec.h"
#include "consensus/test_kv_state_machine.h"

namespace synod::consensus {
namespace {

Message sample_message() {
  Message m{.type = MessageType::kAppend,
            .from = NodeId(1),
            .to = NodeId(2),
            .term = Term(7),
            .log_term = Term(6),
            .index = LogIndex(41),
            .commit = LogIndex(40)};
  m.entries.push_back(Entry{Term(7), LogIndex(42), EntryType::kNormal, std::string("a\0b", 3)});
  m.entries.push_back(Entry{Term(7), LogIndex(43), EntryType::kConfChange, "cc"});
  m.context = "ctx";
  m.snapshot = SnapshotMeta{LogIndex(9), Term(2), "cfg"};
  m.snapshot_offset = 5;
  m.snapshot_data = "chunk";
  m.snapshot_done = true;
  m.hint_index = LogIndex(3);
  m.hint_term = Term(2);
  return m;
}

TEST(MessageCodec, RoundTripsEveryField) {
  Message m = sample_message();
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status();
  EXPECT_EQ(*decoded, m);
}

TEST(MessageCodec, GarbageNeverCrashes) {
  SeededRandom random(42);
  const std::string good = encode_message(sample_message());
  int rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(random.uniform(0, 4));
    for (int f = 0; f < flips; ++f) {
      bytes[random.uniform(0, bytes.size() - 1)] = static_cast<char>(random.next_u64());
    }
    if (random.chance(0.3)) bytes.resize(random.uniform(0, bytes.size()));
    auto decoded = decode_message(bytes);
    if (!decoded.is_ok()) {
      ++rejected;
      EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(MessageCodec, RejectsUnknownTypesAndGaps) {
  Message m = sample_message();
  m.entries[1].index = LogIndex(50);
  EXPECT_FALSE(decode_message(encode_message(m)).is_ok());
  EXPECT_FALSE(decode_conf_change("\x08\x63\x10\x01").is_ok());  // type 99
  EXPECT_FALSE(decode_message("\xff\xff\xff").is_ok());
}

TEST(MessageCodec, ConfChangeAndConfigRoundTrip) {
  ConfChange cc{ConfChangeType::kAddVoter, NodeId(4), "10.0.0.4:7000"};
  EXPECT_EQ(*decode_conf_change(encode_conf_change(cc)), cc);
  ClusterConfig config{{NodeId(1), NodeId(2)}, {NodeId(3)}};
  EXPECT_EQ(*decode_config(encode_config(config)), config);
  EXPECT_EQ(*decode_config(""), ClusterConfig{});
}

std::vector<Entry> entries(std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  std::vector<Entry> out;
  for (std::uint64_t i = from; i <= to; ++i)
    out.push_back(Entry{Term(term), LogIndex(i), EntryType::kNormal, "x"});
  return out;
}

TEST(MemoryStorage, AppendTruncatesConflictingSuffix) {
  MemoryStorage s;
  ASSERT_TRUE(s.append(entries(1, 10, 1)).is_ok());
  ASSERT_TRUE(s.append(entries(6, 8, 2)).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(8));
  EXPECT_EQ(*s.term(LogIndex(6)), Term(2));
  EXPECT_EQ(*s.term(LogIndex(5)), Term(1));
  EXPECT_FALSE(s.append(entries(20, 21, 2)).is_ok()) << "gap";
}

TEST(MemoryStorage, EntriesAreByteBoundedButNeverEmpty) {
  MemoryStorage s;
  ASSERT_TRUE(s.append(entries(1, 10, 1)).is_ok());
  EXPECT_EQ(s.entries(LogIndex(1), LogIndex(11), 0)->size(), 1u);
  EXPECT_EQ(s.entries(LogIndex(1), LogIndex(11), 3 * 25)->size(), 3u);
  EXPECT_FALSE(s.entries(LogIndex(1), LogIndex(12), 1000).is_ok());
}

TEST(MemoryStorage, SnapshotCompactsAndApplySnapshotKeepsMatchingTail) {
  MemoryStorage s;
  ASSERT_TRUE(s.append(entries(1, 10, 1)).is_ok());
  ASSERT_TRUE(s.create_snapshot(SnapshotMeta{LogIndex(5), Term(1), ""}, "data").is_ok());
  EXPECT_EQ(s.first_index(), LogIndex(6));
  EXPECT_EQ(*s.term(LogIndex(5)), Term(1));
  EXPECT_FALSE(s.entries(LogIndex(4), LogIndex(6), 100).is_ok());
  ASSERT_TRUE(s.apply_snapshot(Snapshot{SnapshotMeta{LogIndex(7), Term(1), ""}, "d2"}).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(10)) << "entries after a matching snapshot are kept";
  ASSERT_TRUE(s.apply_snapshot(Snapshot{SnapshotMeta{LogIndex(9), Term(3), ""}, "d3"}).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(9)) << "a conflicting log is dropped";
}

TEST(MemoryStorage, SnapshotCanKeepTrailingEntries) {
  MemoryStorage s;
  ASSERT_TRUE(s.append(entries(1, 10, 1)).is_ok());
  ASSERT_TRUE(s.append(entries(11, 20, 2)).is_ok());
  ASSERT_TRUE(s.create_snapshot(SnapshotMeta{LogIndex(15), Term(2), ""}, "d", 4).is_ok());
  EXPECT_EQ(s.first_index(), LogIndex(12));
  EXPECT_EQ(*s.term(LogIndex(11)), Term(2)) << "term before the first kept entry still answers";
  EXPECT_EQ(s.entries(LogIndex(12), LogIndex(21), 1000)->size(), 9u);
  EXPECT_EQ(s.last_index(), LogIndex(20));
  ASSERT_TRUE(s.compact(LogIndex(13)).is_ok());
  EXPECT_EQ(s.first_index(), LogIndex(14));
  EXPECT_FALSE(s.compact(LogIndex(16)).is_ok());
  ASSERT_TRUE(s.append(entries(18, 19, 3)).is_ok());
  EXPECT_EQ(s.last_index(), LogIndex(19));
  EXPECT_EQ(*s.term(LogIndex(18)), Term(3));
  EXPECT_EQ(*s.term(LogIndex(14)), Term(2));
}

TEST(TestKvStateMachine, PutGetCasDeleteAndSnapshot) {
  TestKvStateMachine sm;
  auto run = [&](KvCommand cmd, std::uint64_t index) {
    return *decode_kv_result(
        sm.apply(Entry{Term(1), LogIndex(index), EntryType::kNormal, encode_kv_command(cmd)}));
  };
  EXPECT_TRUE(run({KvOp::kPut, "a", "1", ""}, 1).ok);
  EXPECT_EQ(run({KvOp::kGet, "a", "", ""}, 2), (KvResult{true, "1"}));
  EXPECT_FALSE(run({KvOp::kCas, "a", "2", "0"}, 3).ok);
  EXPECT_TRUE(run({KvOp::kCas, "a", "2", "1"}, 4).ok);
  EXPECT_TRUE(run({KvOp::kCas, "b", "new", ""}, 5).ok) << "empty expected = absent";
  TestKvStateMachine copy;
  ASSERT_TRUE(copy.restore(sm.snapshot(), sm.applied_index()).is_ok());
  EXPECT_EQ(copy.data(), sm.data());
  EXPECT_EQ(copy.applied_index(), LogIndex(5));
  EXPECT_TRUE(run({KvOp::kDelete, "a", "", ""}, 6).ok);
  EXPECT_FALSE(sm.get("a").has_value());
  EXPECT_FALSE(copy.restore("garbage", LogIndex(1)).is_ok());
  EXPECT_EQ(copy.data().size(), 2u) << "failed restore leaves state alone";
}

}  // namespace
}  // namespace synod::consensus
