// The StateStore behind the Raft core's StateMachine interface.
#include "consensus/state/replicated_state_machine.h"

#include <gtest/gtest.h>

#include "consensus/state/command_codec.h"

namespace synod::consensus::state {
namespace {

Entry command_entry(std::uint64_t index, const proto::Command& command) {
  Entry entry;
  entry.term = Term(1);
  entry.index = LogIndex(index);
  entry.data = encode_command(command);
  return entry;
}

TEST(ReplicatedStateMachine, ApplyReturnsDecodableResults) {
  ReplicatedStateMachine machine;
  consensus::StateMachine& sm = machine;
  Result<ApplyResult> first =
      decode_apply_result(sm.apply(command_entry(1, make_kv_command(kv_cas_op("k", "v", 0)))));
  ASSERT_TRUE(first.is_ok());
  EXPECT_TRUE(first->ok);
  EXPECT_EQ(first->index, LogIndex(1));
  Result<ApplyResult> second =
      decode_apply_result(sm.apply(command_entry(2, make_kv_command(kv_cas_op("k", "w", 0)))));
  ASSERT_TRUE(second.is_ok());
  EXPECT_FALSE(second->ok);

  Entry noop;
  noop.index = LogIndex(3);
  noop.type = EntryType::kNoop;
  EXPECT_TRUE(sm.apply(noop).empty());
  EXPECT_EQ(sm.applied_index(), LogIndex(3));
}

TEST(ReplicatedStateMachine, RestoreChecksTheIndexAndAcceptsEmpty) {
  ReplicatedStateMachine source;
  (void)source.apply(command_entry(1, make_kv_command(kv_set_op("k", "v"))));
  const std::string snapshot = source.snapshot();

  ReplicatedStateMachine target;
  EXPECT_EQ(target.restore(snapshot, LogIndex(2)).code(), StatusCode::kCorruption);
  EXPECT_EQ(target.store().kv().size(), 0u);
  ASSERT_TRUE(target.restore(snapshot, LogIndex(1)).is_ok());
  EXPECT_EQ(target.store().kv().find("k")->value, "v");
  ASSERT_TRUE(target.restore("", LogIndex(5)).is_ok());
  EXPECT_EQ(target.applied_index(), LogIndex(5));
  EXPECT_EQ(target.store().kv().size(), 0u);
}

}  // namespace
}  // namespace synod::consensus::state
