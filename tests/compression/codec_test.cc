#include "compression/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/compression/test_data.h"

namespace synod::compression {
namespace {

using testing::kv_commands;
using testing::random_bytes;

const std::vector<CodecId> kAll = {CodecId::kNone, CodecId::kLz4, CodecId::kZstd, CodecId::kSnappy,
                                   CodecId::kGzip};
const std::vector<CodecId> kReal = {CodecId::kLz4, CodecId::kZstd, CodecId::kSnappy,
                                    CodecId::kGzip};
constexpr std::uint64_t kCap = 1 << 20;

std::vector<Bytes> samples() {
  return {Bytes(),
          Bytes("a"),
          Bytes("hello, synod"),
          kv_commands(300),
          kv_commands(200000),
          random_bytes(1000, 1),
          random_bytes(100000, 2),
          Bytes(500000, 'x')};
}

TEST(CodecNames, IdsAreStableOnTheWire) {
  EXPECT_EQ(static_cast<int>(CodecId::kNone), 0);
  EXPECT_EQ(static_cast<int>(CodecId::kLz4), 1);
  EXPECT_EQ(static_cast<int>(CodecId::kZstd), 2);
  EXPECT_EQ(static_cast<int>(CodecId::kSnappy), 3);
  EXPECT_EQ(static_cast<int>(CodecId::kGzip), 4);
}

TEST(CodecNames, LookupByNameAndId) {
  for (CodecId id : kAll) {
    auto by_name = codec_id_from_name(codec_name(id));
    ASSERT_TRUE(by_name.is_ok()) << codec_name(id);
    EXPECT_EQ(*by_name, id);
    auto by_wire = codec_id_from_wire(static_cast<std::uint8_t>(id));
    ASSERT_TRUE(by_wire.is_ok());
    EXPECT_EQ(*by_wire, id);
    auto codec = make_codec(codec_name(id));
    ASSERT_TRUE(codec.is_ok());
    EXPECT_EQ((*codec)->id(), id);
  }
  EXPECT_EQ(codec_name(CodecId::kSnappy), "snappy");
  auto bad = codec_id_from_name("brotli");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("none|lz4|zstd|snappy|gzip"), std::string::npos);
  auto unknown = codec_id_from_wire(5);
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().message(), "unknown codec id 5");
  EXPECT_FALSE(make_codec("LZ4").is_ok());
}

TEST(Codec, RoundTripsEverySample) {
  for (CodecId id : kAll) {
    auto codec = make_codec(id);
    for (const Bytes& in : samples()) {
      Bytes enc;
      ASSERT_TRUE(codec->compress(in, &enc).is_ok()) << codec->name();
      Bytes dec = "stale";
      Status st = codec->decompress(enc, kCap, &dec);
      ASSERT_TRUE(st.is_ok()) << codec->name() << " size " << in.size() << ": " << st;
      EXPECT_EQ(dec, in) << codec->name() << " size " << in.size();
    }
  }
}

TEST(Codec, RepetitiveDataShrinksRandomDataDoesNot) {
  Bytes kv = kv_commands(64 * 1024);
  Bytes rnd = random_bytes(64 * 1024, 3);
  for (CodecId id : kReal) {
    auto codec = make_codec(id);
    Bytes enc;
    ASSERT_TRUE(codec->compress(kv, &enc).is_ok());
    EXPECT_LT(enc.size(), kv.size() / 3) << codec->name();
    ASSERT_TRUE(codec->compress(rnd, &enc).is_ok());
    EXPECT_GT(enc.size(), rnd.size() * 99 / 100) << codec->name();
  }
}

TEST(Codec, ZstdLevelFromOptionsChangesOutput) {
  Bytes kv = kv_commands(200000);
  CodecOptions fast;
  fast.zstd_level = 1;
  CodecOptions strong;
  strong.zstd_level = 19;
  Bytes a, b;
  ASSERT_TRUE(make_codec(CodecId::kZstd, fast)->compress(kv, &a).is_ok());
  ASSERT_TRUE(make_codec(CodecId::kZstd, strong)->compress(kv, &b).is_ok());
  EXPECT_LT(b.size(), a.size());
  CodecOptions absurd;
  absurd.zstd_level = 1000;  // clamped, not an error
  Bytes c, d;
  ASSERT_TRUE(make_codec(CodecId::kZstd, absurd)->compress(kv, &c).is_ok());
  ASSERT_TRUE(make_codec(CodecId::kZstd)->decompress(c, kCap, &d).is_ok());
  EXPECT_EQ(d, kv);
}

TEST(Codec, GarbageIsRejectedAsInvalidArgument) {
  for (CodecId id : kReal) {
    auto codec = make_codec(id);
    for (std::uint32_t seed = 0; seed < 200; ++seed) {
      Bytes garbage = random_bytes(seed % 64 + 1, seed);
      Bytes out;
      Status st = codec->decompress(garbage, kCap, &out);
      // Random bytes may rarely form a valid tiny stream; they must never crash
      // and any failure must be one of the two documented codes.
      if (!st.is_ok()) {
        EXPECT_TRUE(st.code() == StatusCode::kInvalidArgument ||
                    st.code() == StatusCode::kResourceExhausted)
            << codec->name() << ": " << st;
      }
    }
    Bytes out;
    Status st = codec->decompress(Bytes(40, '\xff'), kCap, &out);
    EXPECT_FALSE(st.is_ok()) << codec->name();
  }
}

TEST(Codec, EmptyInputIsMalformedForRealCodecs) {
  for (CodecId id : kReal) {
    Bytes out;
    Status st = make_codec(id)->decompress("", kCap, &out);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << codec_name(id) << ": " << st;
  }
}

TEST(Codec, EveryTruncationIsRejected) {
  Bytes kv = kv_commands(5000);
  for (CodecId id : kReal) {
    auto codec = make_codec(id);
    Bytes enc;
    ASSERT_TRUE(codec->compress(kv, &enc).is_ok());
    for (std::size_t len = 0; len < enc.size(); ++len) {
      Bytes out;
      Status st = codec->decompress(ByteView(enc).substr(0, len), kCap, &out);
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument)
          << codec->name() << " truncated to " << len << " of " << enc.size() << ": " << st;
    }
  }
}

TEST(Codec, TrailingGarbageIsRejected) {
  Bytes kv = kv_commands(5000);
  for (CodecId id : {CodecId::kLz4, CodecId::kZstd, CodecId::kGzip}) {
    auto codec = make_codec(id);
    Bytes enc;
    ASSERT_TRUE(codec->compress(kv, &enc).is_ok());
    enc += "junk";
    Bytes out;
    EXPECT_EQ(codec->decompress(enc, kCap, &out).code(), StatusCode::kInvalidArgument)
        << codec->name();
  }
}

TEST(Codec, BombOverCapIsResourceExhausted) {
  Bytes zeros(4 << 20, '\0');  // 4 MiB of zeros compress to a few KiB
  for (CodecId id : kAll) {
    auto codec = make_codec(id);
    Bytes enc;
    ASSERT_TRUE(codec->compress(zeros, &enc).is_ok());
    Bytes out;
    Status st = codec->decompress(enc, kCap, &out);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << codec->name() << ": " << st;
    EXPECT_NE(st.message().find("exceeds cap"), std::string::npos) << st;
    EXPECT_LE(out.capacity(), (4u << 20)) << codec->name();
    // Exactly at the cap is fine.
    ASSERT_TRUE(codec->decompress(enc, zeros.size(), &out).is_ok()) << codec->name();
    EXPECT_EQ(out.size(), zeros.size());
  }
}

TEST(Codec, LyingSizeHeaderIsRejectedWithoutAllocating) {
  // lz4: a header that claims 1 GiB with a 3-byte body.
  Bytes lz4("\x00\x00\x00\x40\x10\x61\x00", 7);
  Bytes out;
  EXPECT_EQ(make_codec(CodecId::kLz4)->decompress(lz4, kCap, &out).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(make_codec(CodecId::kLz4)->decompress(lz4, 1ull << 40, &out).code(),
            StatusCode::kInvalidArgument);
  // snappy: varint length 0x0fffffff followed by almost nothing.
  Bytes snappy("\xff\xff\xff\x7f\x00", 5);
  EXPECT_EQ(make_codec(CodecId::kSnappy)->decompress(snappy, kCap, &out).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(make_codec(CodecId::kSnappy)->decompress(snappy, 1ull << 40, &out).code(),
            StatusCode::kInvalidArgument);
}

TEST(Codec, ZstdConcatenatedFramesUseTheCappedStreamingPath) {
  auto codec = make_codec(CodecId::kZstd);
  Bytes a = kv_commands(3000), b = kv_commands(5000);
  Bytes ea, eb, out;
  ASSERT_TRUE(codec->compress(a, &ea).is_ok());
  ASSERT_TRUE(codec->compress(b, &eb).is_ok());
  ASSERT_TRUE(codec->decompress(ea + eb, kCap, &out).is_ok());
  EXPECT_EQ(out, a + b);
  // Each frame alone fits the cap, together they do not.
  EXPECT_EQ(codec->decompress(ea + eb, 6000, &out).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(codec->decompress(ea + eb.substr(0, eb.size() - 3), kCap, &out).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synod::compression
