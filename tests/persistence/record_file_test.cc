// The torn-tail rules of the record framing (record_file.h), byte by byte.
#include "persistence/record_file.h"

#include <gtest/gtest.h>

#include "tests/persistence/test_status.h"

namespace synod::persistence::testing {
namespace {

constexpr std::string_view kMagic = "TESTMAGC";

struct Scanned {
  Status status;
  ScanResult result;
  std::vector<std::string> payloads;
};

Scanned scan(const Bytes& file, bool allow_torn_tail) {
  Scanned out;
  auto header = decode_file_header("f", file, kMagic, 1, "test file");
  if (!header.is_ok()) {
    out.status = header.status();
    return out;
  }
  auto r =
      scan_records("f", file, header->size, allow_torn_tail, [&](std::uint64_t, ByteView payload) {
        out.payloads.emplace_back(payload);
        return Status::ok();
      });
  out.status = r.status();
  if (r.is_ok()) out.result = *r;
  return out;
}

Bytes three_records(std::size_t* second_at = nullptr) {
  Bytes file = encode_file_header(kMagic, 1, "extra");
  append_record(file, "first");
  if (second_at) *second_at = file.size();
  append_record(file, "second");
  append_record(file, "third");
  return file;
}

TEST(RecordFile, IntactFileScansEveryRecord) {
  Bytes file = three_records();
  Scanned s = scan(file, false);
  ASSERT_OK(s.status);
  EXPECT_EQ(s.payloads, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(s.result.valid_end, file.size());
  EXPECT_FALSE(s.result.torn_tail);
}

TEST(RecordFile, CutShortLastRecordIsATornTail) {
  Bytes file = three_records();
  for (std::size_t cut = 1; cut < 8 + 5; ++cut) {
    Scanned s = scan(file.substr(0, file.size() - cut), true);
    ASSERT_OK(s.status);
    EXPECT_TRUE(s.result.torn_tail);
    EXPECT_EQ(s.payloads.size(), 2u) << cut;
  }
}

TEST(RecordFile, DamagedLastRecordEndingAtTheEndIsATornTail) {
  Bytes file = three_records();
  file[file.size() - 1] ^= 1;
  Scanned s = scan(file, true);
  ASSERT_OK(s.status);
  EXPECT_TRUE(s.result.torn_tail);
  EXPECT_EQ(s.payloads.size(), 2u);
}

TEST(RecordFile, ZeroFilledTailIsATornTail) {
  Bytes file = three_records();
  file += Bytes(4096, '\0');
  Scanned s = scan(file, true);
  ASSERT_OK(s.status);
  EXPECT_TRUE(s.result.torn_tail);
  EXPECT_EQ(s.payloads.size(), 3u);
}

TEST(RecordFile, DamageWithIntactDataAfterItIsCorruption) {
  std::size_t second_at = 0;
  Bytes file = three_records(&second_at);
  file[second_at + 9] ^= 1;  // inside "second"'s payload
  Scanned s = scan(file, true);
  EXPECT_EQ(s.status.code(), StatusCode::kCorruption);
  EXPECT_NE(s.status.message().find("f at offset " + std::to_string(second_at)), std::string::npos)
      << s.status;
}

TEST(RecordFile, AFileThatMustBeCompleteRejectsATornTail) {
  Bytes file = three_records();
  Scanned s = scan(file.substr(0, file.size() - 3), false);
  EXPECT_EQ(s.status.code(), StatusCode::kCorruption);
}

TEST(RecordFile, HeaderChecksAreSpecific) {
  Bytes file = three_records();
  Bytes bad_magic = file;
  bad_magic[0] = 'X';
  EXPECT_NE(scan(bad_magic, true).status.message().find("bad magic"), std::string::npos);
  Bytes bad_crc = file;
  bad_crc[13] ^= 1;  // inside extra_len
  EXPECT_EQ(scan(bad_crc, true).status.code(), StatusCode::kCorruption);
  Bytes newer = encode_file_header(kMagic, 2, "");
  auto header = decode_file_header("f", newer, kMagic, 1, "test file");
  EXPECT_EQ(header.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(header.status().message().find("version 2, this build reads version 1"),
            std::string::npos);
}

}  // namespace
}  // namespace synod::persistence::testing
