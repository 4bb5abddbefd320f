#include "compression/compressor.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/compression/test_data.h"

namespace synod::compression {
namespace {

using testing::kv_commands;
using testing::random_bytes;

double counter(metrics::Registry& r, const std::string& name, const metrics::Labels& labels) {
  return r.counter(name, "", labels).value();
}

class CompressorTest : public ::testing::Test {
 protected:
  metrics::Registry registry_;
};

TEST_F(CompressorTest, SmallPayloadsAreSentPlain) {
  Compressor c(CompressorOptions{}, &registry_);
  Bytes in = kv_commands(256);
  Bytes out;
  auto id = c.compress(1, 1, in, &out);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(*id, CodecId::kNone);
  EXPECT_EQ(out, in);
  in = kv_commands(257);
  id = c.compress(1, 1, in, &out);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(*id, CodecId::kLz4);
  EXPECT_LT(out.size(), in.size());
  EXPECT_EQ(counter(registry_, "synod_compression_skipped_total", {{"reason", "small"}}), 1);
  EXPECT_EQ(counter(registry_, "synod_compression_bytes_in_total", {{"codec", "lz4"}}), 257);
}

TEST_F(CompressorTest, EveryConfiguredCodecRoundTripsThroughTheWireId) {
  for (CodecId codec : {CodecId::kLz4, CodecId::kZstd, CodecId::kSnappy, CodecId::kGzip}) {
    CompressorOptions o;
    o.codec = codec;
    Compressor sender(o, &registry_);
    Compressor receiver(CompressorOptions{}, &registry_);  // decodes whatever arrives
    Bytes in = kv_commands(4096);
    Bytes wire;
    auto id = sender.compress(7, 2, in, &wire);
    ASSERT_TRUE(id.is_ok());
    EXPECT_EQ(*id, codec);
    Bytes back;
    ASSERT_TRUE(receiver.decompress(static_cast<std::uint8_t>(*id), wire, &back).is_ok());
    EXPECT_EQ(back, in);
  }
}

TEST_F(CompressorTest, CodecNoneNeverCompresses) {
  CompressorOptions o;
  o.codec = CodecId::kNone;
  Compressor c(o, &registry_);
  Bytes in = kv_commands(10000);
  Bytes out;
  auto id = c.compress(1, 1, in, &out);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(*id, CodecId::kNone);
  EXPECT_EQ(out, in);
  EXPECT_FALSE(c.enabled(1, 1));
}

TEST_F(CompressorTest, IncompressiblePayloadIsSentPlain) {
  CompressorOptions o;
  o.adaptive = false;
  Compressor c(o, &registry_);
  Bytes in = random_bytes(4096, 9);
  Bytes out;
  auto id = c.compress(1, 1, in, &out);
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(*id, CodecId::kNone);
  EXPECT_EQ(out, in);
  EXPECT_EQ(counter(registry_, "synod_compression_skipped_total", {{"reason", "incompressible"}}),
            1);
}

TEST_F(CompressorTest, AdaptiveSwitchesOffForIncompressibleAndBackOn) {
  CompressorOptions o;
  o.reprobe_every = 8;
  Compressor c(o, &registry_);
  Bytes rnd = random_bytes(4096, 5);
  Bytes kv = kv_commands(4096);
  Bytes out;

  EXPECT_TRUE(c.enabled(1, 3));
  ASSERT_TRUE(c.compress(1, 3, rnd, &out).is_ok());
  EXPECT_GT(c.ratio(1, 3), 0.9);
  EXPECT_FALSE(c.enabled(1, 3));
  // Another peer and another message type of the same peer are unaffected.
  EXPECT_TRUE(c.enabled(2, 3));
  EXPECT_TRUE(c.enabled(1, 4));

  // While off, compressible data is still sent plain until the re-probe.
  int plain = 0;
  CodecId id = CodecId::kNone;
  for (int i = 0; i < 20 && id == CodecId::kNone; ++i) {
    auto r = c.compress(1, 3, kv, &out);
    ASSERT_TRUE(r.is_ok());
    id = *r;
    if (id == CodecId::kNone) ++plain;
  }
  EXPECT_EQ(plain, 7);  // the 8th skipped payload is the probe
  EXPECT_EQ(id, CodecId::kLz4);
  EXPECT_TRUE(c.enabled(1, 3));
  EXPECT_LT(c.ratio(1, 3), 0.5);
  EXPECT_EQ(counter(registry_, "synod_compression_skipped_total", {{"reason", "adaptive"}}), 7);

  // A probe on still-incompressible data keeps it off.
  ASSERT_TRUE(c.compress(1, 4, rnd, &out).is_ok());
  for (int i = 0; i < 8; ++i) {
    auto r = c.compress(1, 4, rnd, &out);
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(*r, CodecId::kNone);
  }
  EXPECT_FALSE(c.enabled(1, 4));
}

TEST_F(CompressorTest, AdaptiveEwmaTurnsOffAfterSustainedPoorRatio) {
  Compressor c(CompressorOptions{}, &registry_);
  Bytes kv = kv_commands(4096);
  Bytes rnd = random_bytes(4096, 11);
  Bytes out;
  ASSERT_TRUE(c.compress(1, 1, kv, &out).is_ok());
  ASSERT_TRUE(c.compress(1, 1, rnd, &out).is_ok());
  EXPECT_TRUE(c.enabled(1, 1));  // one bad sample does not outweigh history
  for (int i = 0; i < 20 && c.enabled(1, 1); ++i) ASSERT_TRUE(c.compress(1, 1, rnd, &out).is_ok());
  EXPECT_FALSE(c.enabled(1, 1));
}

TEST_F(CompressorTest, DecompressRejectsUnknownCodecGarbageAndBombs) {
  CompressorOptions o;
  o.max_decompressed_bytes = 1 << 16;
  Compressor c(o, &registry_);
  Bytes out;
  Status st = c.decompress(9, "abc", &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(counter(registry_, "synod_compression_decompress_errors_total",
                    {{"codec", "unknown"}, {"reason", "unknown_codec"}}),
            1);

  st = c.decompress(static_cast<std::uint8_t>(CodecId::kZstd), Bytes(32, '\x7f'), &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(counter(registry_, "synod_compression_decompress_errors_total",
                    {{"codec", "zstd"}, {"reason", "malformed"}}),
            1);

  Bytes bomb;
  ASSERT_TRUE(make_codec(CodecId::kGzip)->compress(Bytes(1 << 20, 'z'), &bomb).is_ok());
  st = c.decompress(static_cast<std::uint8_t>(CodecId::kGzip), bomb, &out);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(counter(registry_, "synod_compression_decompress_errors_total",
                    {{"codec", "gzip"}, {"reason", "bomb"}}),
            1);
}

}  // namespace
}  // namespace synod::compression
