#include "common/bytes.h"

#include <gtest/gtest.h>

namespace synod {
namespace {

TEST(BytesTest, RoundTripsFixedWidthLittleEndian) {
  Bytes b;
  put_u8(b, 0xab);
  put_u16(b, 0x1234);
  put_u32(b, 0xdeadbeef);
  put_u64(b, 0x0102030405060708ULL);
  put_bytes(b, "hello");
  EXPECT_EQ(static_cast<unsigned char>(b[1]), 0x34);  // little-endian
  ByteReader r(b);
  EXPECT_EQ(*r.u8(), 0xab);
  EXPECT_EQ(*r.u16(), 0x1234);
  EXPECT_EQ(*r.u32(), 0xdeadbeefu);
  EXPECT_EQ(*r.u64(), 0x0102030405060708ULL);
  EXPECT_EQ(*r.bytes(), "hello");
  EXPECT_TRUE(r.done());
}

TEST(BytesTest, ReaderRefusesToReadPastTheEnd) {
  Bytes b;
  put_u32(b, 100);  // claims 100 bytes follow
  b += "abc";
  ByteReader r(b);
  EXPECT_FALSE(r.bytes().has_value());
  ByteReader short_reader(ByteView("\x01\x02", 2));
  EXPECT_FALSE(short_reader.u32().has_value());
}

}  // namespace
}  // namespace synod
