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

namespace synod::consensus::state {
namespace {

TEST(CommandCodec, PrepareAndRestampSetTheLeaderTime) {
  Result<Bytes> prepared = prepare_command(make_kv_command(kv_set_op("k", "v")), 111);
  ASSERT_TRUE(prepared.is_ok());
  EXPECT_EQ(decode_command(*prepared)->leader_time_ms(), 111u);
  Result<Bytes> restamped = restamp_command(*prepared, 222);
  ASSERT_TRUE(restamped.is_ok());
  EXPECT_EQ(decode_command(*restamped)->leader_time_ms(), 222u);
  EXPECT_FALSE(prepare_command(make_kv_command(kv_set_op("", "v")), 1).is_ok());
  EXPECT_FALSE(restamp_command("garbage", 1).is_ok());
}

TEST(CommandCodec, NonUtf8KeysAndSessionsSurviveTheWire) {
  const std::string key("\xff\xfe/k", 4);
  const std::string session("\xc3\x28", 2);
  Result<proto::Command> decoded =
      decode_command(encode_command(make_kv_command(kv_lock_op(key, session))));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status();
  EXPECT_EQ(decoded->kv().key(), key);
  EXPECT_EQ(decoded->kv().session(), session);
  ApplyResult result;
  result.txn.errors.push_back({0, "key \"" + key + "\" exists"});
  EXPECT_EQ(*decode_apply_result(encode_apply_result(result)), result);
}

// Deterministic byte mutations of valid inputs: decoders must return a
// Status, never crash (the fuzz targets explore further).
TEST(CommandCodec, MutatedBytesNeverCrash) {
  const Bytes command = encode_command(make_txn_command(
      {kv_set_op("a/b", "value", 3), kv_lock_op("l", "s"), kv_read_op(proto::KV_GET_TREE, "a/")},
      77));
  ApplyResult sample;
  sample.txn.results.push_back({"k", "v", 1, "s", 2, 3, 4});
  const Bytes result = encode_apply_result(sample);
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int decoded_ok = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes mutated = round % 2 == 0 ? command : result;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = next() % mutated.size();
      switch (next() % 3) {
        case 0:
          mutated[at] = static_cast<char>(next());
          break;
        case 1:
          mutated.resize(at);
          break;
        default:
          mutated.insert(at, 1, static_cast<char>(next()));
      }
      if (mutated.empty()) break;
    }
    if (round % 2 == 0) {
      decoded_ok += decode_command(mutated).is_ok() ? 1 : 0;
    } else {
      decoded_ok += decode_apply_result(mutated).is_ok() ? 1 : 0;
    }
  }
  EXPECT_LT(decoded_ok, 3000) << "some mutations must be refused";
}

}  // namespace
}  // namespace synod::consensus::state
