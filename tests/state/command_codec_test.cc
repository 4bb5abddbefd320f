// Decoding and validation of untrusted command and result bytes.
#include "consensus/state/command_codec.h"

#include <gtest/gtest.h>

#include "consensus/state/apply_result.h"

namespace synod::consensus::state {
namespace {

TEST(CommandCodec, RoundTripsAKvCommand) {
  proto::Command command = make_kv_command(kv_cas_op("k", "v", 7, 3), 1234);
  Result<proto::Command> decoded = decode_command(encode_command(command));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status();
  EXPECT_EQ(decoded->leader_time_ms(), 1234u);
  EXPECT_EQ(decoded->kv().verb(), proto::KV_CAS);
  EXPECT_EQ(decoded->kv().index(), 7u);
  EXPECT_EQ(encode_command(*decoded), encode_command(command));
}

TEST(CommandCodec, RejectsGarbageBytes) {
  Result<proto::Command> decoded = decode_command(std::string("\xff\xff\xff\xff\x0f", 5));
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(decode_command("").is_ok()) << "an empty command has no body";
}

TEST(CommandCodec, ValidatesOps) {
  auto code_of = [](const proto::Command& command) { return validate_command(command).code(); };
  EXPECT_EQ(code_of(make_kv_command(kv_set_op("", "v"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(make_kv_command(kv_read_op(proto::KV_GET, "k"))), StatusCode::kInvalidArgument)
      << "read verbs only inside a txn";
  EXPECT_EQ(code_of(make_kv_command(kv_lock_op("k", ""))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(make_kv_command(kv_delete_tree_op(""))), StatusCode::kOk);
  EXPECT_EQ(code_of(make_txn_command({})), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(make_txn_command({kv_read_op(proto::KV_GET_TREE, "")})), StatusCode::kOk);

  proto::KvOp unknown = kv_set_op("k", "v");
  unknown.set_verb(static_cast<proto::KvVerb>(99));
  EXPECT_EQ(code_of(make_kv_command(unknown)), StatusCode::kInvalidArgument);

  std::vector<proto::KvOp> many(65, kv_set_op("k", "v"));
  EXPECT_EQ(code_of(make_txn_command(many)), StatusCode::kInvalidArgument);
  EXPECT_TRUE(validate_command(make_txn_command(many), CommandLimits::hard()).is_ok());

  CommandLimits small;
  small.max_value_bytes = 4;
  EXPECT_FALSE(validate_command(make_kv_command(kv_set_op("k", "12345")), small).is_ok());
  Status in_txn = validate_command(make_txn_command({kv_set_op("k", "1"), kv_set_op("", "2")}));
  EXPECT_NE(in_txn.message().find("txn op 1"), std::string::npos) << in_txn;
}

TEST(CommandCodec, VerbNamesAreConsuls) {
  EXPECT_EQ(kv_verb_name(proto::KV_CHECK_NOT_EXISTS), "check-not-exists");
  EXPECT_EQ(kv_verb_from_name("delete-cas"), proto::KV_DELETE_CAS);
  EXPECT_EQ(kv_verb_from_name("get-tree"), proto::KV_GET_TREE);
  EXPECT_FALSE(kv_verb_from_name("frobnicate").has_value());
}

TEST(ApplyResultCodec, RoundTrips) {
  ApplyResult result;
  result.index = LogIndex(9);
  result.status = failed_precondition("invalid session \"x\"");
  result.txn.results.push_back({"k", "v", 1, "s", 2, 3, 4});
  result.txn.errors.push_back({3, "failed"});
  Result<ApplyResult> decoded = decode_apply_result(encode_apply_result(result));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status();
  EXPECT_EQ(*decoded, result);

  ApplyResult fine;
  fine.index = LogIndex(1);
  fine.ok = true;
  EXPECT_EQ(*decode_apply_result(encode_apply_result(fine)), fine);
}

TEST(ApplyResultCodec, RejectsBadBytes) {
  EXPECT_FALSE(decode_apply_result(std::string("\x0a\xff", 2)).is_ok());
  proto::CommandResult bad;
  bad.set_status_code(999);
  Bytes bytes;
  bad.SerializeToString(&bytes);
  EXPECT_FALSE(decode_apply_result(bytes).is_ok());
}

}  // namespace
}  // namespace synod::consensus::state
