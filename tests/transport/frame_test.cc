// The frame codec: encode/decode round trips and every decode error.
#include "node/transport/frame.h"

#include <gtest/gtest.h>

#include "common/random.h"
#include "node/transport/call_codec.h"
#include "node/transport/frame_decoder.h"
#include "node/transport/frame_sealer.h"

namespace synod::node::transport {
namespace {

constexpr std::uint64_t kLimit = 1 << 20;

FrameHeader sample_header() {
  FrameHeader header;
  header.type = MessageType::kRaft;
  header.flags = frame_flags::kRequest;
  header.codec_id = 2;
  header.key_epoch = 0x01020304;
  header.counter = 0x1122334455667788ull;
  return header;
}

TEST(FrameTest, HeaderLayoutMatchesWireDoc) {
  FrameHeader header = sample_header();
  Bytes encoded = encode_frame(header, "hi");
  ASSERT_EQ(encoded.size(), kFrameHeaderSize + 2);
  const unsigned char expected[] = {0x53, 0x59, 0x01, 0x01, 0x20, 0x00, 0x02, 0x00, 0x04,
                                    0x03, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x88, 0x77,
                                    0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 'h',  'i'};
  EXPECT_EQ(encoded, Bytes(reinterpret_cast<const char*>(expected), sizeof(expected)));
}

TEST(FrameTest, OneShotRoundTrip) {
  FrameHeader header = sample_header();
  auto decoded = decode_frame(encode_frame(header, "payload"), kLimit);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status();
  header.payload_length = 7;
  EXPECT_EQ(decoded->header, header);
  EXPECT_EQ(decoded->payload, "payload");
}

TEST(FrameTest, StreamDecoderSplitsFramesFedOneByteAtATime) {
  Bytes stream;
  for (int i = 0; i < 5; ++i) {
    FrameHeader header = sample_header();
    header.counter = i;
    stream += encode_frame(header, Bytes(static_cast<std::size_t>(i * 100), 'a' + i));
  }
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  for (char c : stream) ASSERT_TRUE(decoder.feed(ByteView(&c, 1), frames).is_ok());
  ASSERT_EQ(frames.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].header.counter, static_cast<std::uint64_t>(i));
    EXPECT_EQ(frames[i].payload, Bytes(static_cast<std::size_t>(i * 100), 'a' + i));
  }
  EXPECT_TRUE(decoder.at_boundary());
  EXPECT_TRUE(decoder.finish().is_ok());
}

TEST(FrameTest, StreamDecoderHandlesRandomSplitsAndEmptyPayloads) {
  SeededRandom random(7);
  Bytes stream;
  std::vector<Bytes> payloads;
  for (int i = 0; i < 50; ++i) {
    Bytes payload(random.uniform(0, 3) == 0 ? 0 : random.uniform(1, 5000), 'x');
    for (auto& c : payload) c = static_cast<char>(random.next_u64());
    FrameHeader header;
    header.type = MessageType::kTest;
    stream += encode_frame(header, payload);
    payloads.push_back(payload);
  }
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    std::size_t n = std::min<std::size_t>(random.uniform(1, 3000), stream.size() - pos);
    ASSERT_TRUE(decoder.feed(ByteView(stream).substr(pos, n), frames).is_ok());
    pos += n;
  }
  ASSERT_EQ(frames.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(frames[i].payload, payloads[i]);
}

TEST(FrameTest, BadMagicIsRejectedAfterTwoBytes) {
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  Status status = decoder.feed("GE", frames);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoder.error(), FrameError::kBadMagic);
  EXPECT_NE(status.message().find("magic"), std::string::npos);
  // Sticky: later bytes return the same error.
  EXPECT_EQ(decoder.feed("T / HTTP/1.1\r\n", frames), status);
  EXPECT_TRUE(frames.empty());
}

TEST(FrameTest, UnsupportedVersionIsRejected) {
  FrameHeader header = sample_header();
  header.version = 9;
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  Status status = decoder.feed(encode_frame(header, ""), frames);
  EXPECT_EQ(status.code(), StatusCode::kUnimplemented);
  EXPECT_EQ(decoder.error(), FrameError::kUnsupportedVersion);
}

TEST(FrameTest, OversizeLengthIsRejectedBeforeThePayloadArrives) {
  FrameHeader header = sample_header();
  header.payload_length = kLimit + 1;
  auto head = encode_header(header);
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  Status status = decoder.feed(ByteView(head.data(), head.size()), frames);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(decoder.error(), FrameError::kOversize);
  EXPECT_EQ(decode_frame(ByteView(head.data(), head.size()), kLimit).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(FrameTest, NonZeroReservedByteOrTypeZeroIsABadHeader) {
  Bytes encoded = encode_frame(sample_header(), "x");
  encoded[7] = 1;
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  EXPECT_FALSE(decoder.feed(encoded, frames).is_ok());
  EXPECT_EQ(decoder.error(), FrameError::kBadHeader);

  FrameHeader header;
  header.type = MessageType::kInvalid;
  FrameDecoder second(kLimit);
  EXPECT_FALSE(second.feed(encode_frame(header, ""), frames).is_ok());
  EXPECT_EQ(second.error(), FrameError::kBadHeader);
}

TEST(FrameTest, StreamEndingInsideAFrameIsTruncated) {
  Bytes encoded = encode_frame(sample_header(), "0123456789");
  for (std::size_t cut : {std::size_t{1}, std::size_t{10}, kFrameHeaderSize, encoded.size() - 1}) {
    FrameDecoder decoder(kLimit);
    std::vector<Frame> frames;
    ASSERT_TRUE(decoder.feed(ByteView(encoded).substr(0, cut), frames).is_ok());
    Status status = decoder.finish();
    EXPECT_EQ(status.code(), StatusCode::kOutOfRange) << cut;
    EXPECT_EQ(decoder.error(), FrameError::kTruncated);
    EXPECT_EQ(decode_frame(ByteView(encoded).substr(0, cut), kLimit).status().code(),
              StatusCode::kOutOfRange);
  }
}

TEST(FrameTest, OneShotDecodeRefusesTrailingBytes) {
  EXPECT_EQ(decode_frame(encode_frame(sample_header(), "x") + "y", kLimit).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FrameTest, FramesBeforeAnErrorAreStillDelivered) {
  Bytes stream = encode_frame(sample_header(), "good") + "garbage!";
  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  EXPECT_FALSE(decoder.feed(stream, frames).is_ok());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload, "good");
}

TEST(FrameSealerTest, IdentitySealerClearsCryptoFieldsAndRefusesSealedFrames) {
  IdentitySealer sealer;
  FrameHeader header = sample_header();
  header.flags |= 0x80;
  Bytes payload = "abc";
  ASSERT_TRUE(sealer.seal(header, payload).is_ok());
  EXPECT_EQ(header.codec_id, 0);
  EXPECT_EQ(header.key_epoch, 0u);
  EXPECT_EQ(header.counter, 0u);
  EXPECT_EQ(header.flags, frame_flags::kRequest);
  EXPECT_TRUE(sealer.open(header, payload).is_ok());
  header.key_epoch = 3;
  EXPECT_FALSE(sealer.open(header, payload).is_ok());
}

TEST(CallCodecTest, RequestAndFailureRoundTrip) {
  const Bytes request = encode_call(42, "body");
  auto call = decode_call(request);
  ASSERT_TRUE(call.is_ok());
  EXPECT_EQ(call->call_id, 42u);
  EXPECT_EQ(call->body, "body");
  EXPECT_FALSE(decode_call("short").is_ok());

  const Bytes response = encode_call_failure(7, not_found("no such key"));
  auto failure = decode_call(response);
  ASSERT_TRUE(failure.is_ok());
  Status status = decode_call_failure(failure->body);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such key");
}

}  // namespace
}  // namespace synod::node::transport
