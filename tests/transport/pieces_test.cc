// The pure pieces of the transport: backoff, outbound queue, Hello handshake.
#include <gtest/gtest.h>

#include "common/random.h"
#include "node/transport/backoff.h"
#include "node/transport/handshake.h"
#include "node/transport/outbound_queue.h"
// proto/CMakeLists.txt currently writes generated files to the build root.
#if __has_include("proto/peer.pb.h")
#include "proto/peer.pb.h"
#else
#include "peer.pb.h"
#endif

namespace synod::node::transport {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DelaysGrowWithJitterUpToTheCapAndResetAfterSuccess) {
  SeededRandom random(1);
  Backoff backoff(milliseconds(50), milliseconds(2000));
  Duration step = milliseconds(50);
  for (int i = 0; i < 12; ++i) {
    Duration delay = backoff.next(random);
    EXPECT_GE(delay, step / 2) << i;
    EXPECT_LE(delay, step) << i;
    step = std::min<Duration>(step * 2, milliseconds(2000));
  }
  EXPECT_EQ(backoff.attempts(), 12u);
  backoff.reset();
  EXPECT_LE(backoff.next(random), milliseconds(50));
}

TEST(BackoffTest, JitterSpreadsNodesThatFailedTogether) {
  SeededRandom a(1), b(2);
  Backoff first(milliseconds(100), milliseconds(1000));
  Backoff second(milliseconds(100), milliseconds(1000));
  int same = 0;
  for (int i = 0; i < 10; ++i) same += first.next(a) == second.next(b) ? 1 : 0;
  EXPECT_LT(same, 10);
}

OutboundMessage message_of(std::size_t bytes, char fill = 'm') {
  return {MessageType::kTest, 0, Bytes(bytes, fill)};
}

TEST(OutboundQueueTest, DropsTheOldestFramesWhenFull) {
  OutboundQueue queue(3 * (kFrameHeaderSize + 100));
  for (char c = 'a'; c <= 'c'; ++c) EXPECT_EQ(queue.push(message_of(100, c)).dropped_messages, 0u);
  PushResult pushed = queue.push(message_of(100, 'd'));
  EXPECT_TRUE(pushed.accepted);
  EXPECT_EQ(pushed.dropped_messages, 1u);
  EXPECT_EQ(queue.size(), 3u);
  auto batch = queue.take_batch(10, 1 << 20);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].payload[0], 'b');
  EXPECT_EQ(batch[2].payload[0], 'd');
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutboundQueueTest, RefusesAFrameLargerThanTheWholeBound) {
  OutboundQueue queue(100);
  queue.push(message_of(10));
  EXPECT_FALSE(queue.push(message_of(200)).accepted);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(OutboundQueueTest, BatchesRespectFrameAndByteLimitsButTakeAtLeastOne) {
  OutboundQueue queue(1 << 20);
  for (int i = 0; i < 10; ++i) queue.push(message_of(1000));
  EXPECT_EQ(queue.take_batch(3, 1 << 20).size(), 3u);
  EXPECT_EQ(queue.take_batch(100, 2 * (kFrameHeaderSize + 1000)).size(), 2u);
  EXPECT_EQ(queue.take_batch(100, 1).size(), 1u);  // one frame even above the byte limit
  EXPECT_EQ(queue.size(), 4u);
}

HandshakeContext context(std::uint64_t self, std::string cluster = "c1",
                         std::uint64_t expected = 0) {
  return {NodeId(self), std::move(cluster), "127.0.0.1:" + std::to_string(9000 + self),
          expected != 0, NodeId(expected)};
}

// Runs a Hello exchange between two contexts; returns both sides' statuses.
std::pair<Status, Status> exchange(HelloHandshake& a, HelloHandshake& b) {
  std::vector<Frame> from_a, from_b, ignored;
  EXPECT_TRUE(a.start(from_a).is_ok());
  EXPECT_TRUE(b.start(from_b).is_ok());
  EXPECT_EQ(from_a.size(), 1u);
  return {a.on_frame(from_b.at(0), ignored), b.on_frame(from_a.at(0), ignored)};
}

TEST(HelloHandshakeTest, MatchingPeersLearnEachOthersIdAndAddress) {
  HelloHandshake a(context(1, "c1", 2)), b(context(2));
  auto [sa, sb] = exchange(a, b);
  ASSERT_TRUE(sa.is_ok()) << sa;
  ASSERT_TRUE(sb.is_ok()) << sb;
  ASSERT_TRUE(a.done() && b.done());
  HandshakeOutcome outcome = b.take_outcome();
  EXPECT_EQ(outcome.peer, NodeId(1));
  EXPECT_EQ(outcome.peer_address, "127.0.0.1:9001");
  ASSERT_NE(outcome.sealer, nullptr);
  EXPECT_EQ(outcome.sealer->name(), "identity");
}

TEST(HelloHandshakeTest, HelloFrameMatchesTheWireDocExample) {
  HelloHandshake hello({NodeId(1), "synod", "127.0.0.1:8300", false, kNoNode});
  std::vector<Frame> send;
  ASSERT_TRUE(hello.start(send).is_ok());
  ASSERT_EQ(send.size(), 1u);
  const unsigned char expected[] = {
      0x53, 0x59, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1b,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01,
      0x10, 0x01, 0x1a, 0x05, 's',  'y',  'n',  'o',  'd',  0x22, 0x0e, '1',  '2',
      '7',  '.',  '0',  '.',  '0',  '.',  '1',  ':',  '8',  '3',  '0',  '0'};
  EXPECT_EQ(encode_frame(send[0].header, send[0].payload),
            Bytes(reinterpret_cast<const char*>(expected), sizeof(expected)));
}

TEST(HelloHandshakeTest, WrongClusterIsRefusedOnBothSides) {
  HelloHandshake a(context(1, "c1")), b(context(2, "c2"));
  auto [sa, sb] = exchange(a, b);
  EXPECT_EQ(sa.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(sb.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(a.failure_reason(), "wrong_cluster");
  EXPECT_NE(sa.message().find("c2"), std::string::npos);
}

TEST(HelloHandshakeTest, PeerClaimingOurIdIsADuplicate) {
  HelloHandshake a(context(1)), b(context(1));
  auto [sa, sb] = exchange(a, b);
  EXPECT_EQ(sa.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(a.failure_reason(), "duplicate_id");
}

TEST(HelloHandshakeTest, DiallingOneNodeAndReachingAnotherIsRefused) {
  HelloHandshake a(context(1, "c1", 5)), b(context(2));
  auto [sa, sb] = exchange(a, b);
  EXPECT_EQ(a.failure_reason(), "unexpected_peer");
  EXPECT_FALSE(sa.is_ok());
  EXPECT_TRUE(sb.is_ok());
}

TEST(HelloHandshakeTest, MalformedOrWrongVersionOrWrongTypeIsRefused) {
  std::vector<Frame> ignored;
  {
    HelloHandshake h(context(1));
    Frame frame{{}, "\xff\xff\xff"};
    frame.header.type = MessageType::kHello;
    EXPECT_FALSE(h.on_frame(frame, ignored).is_ok());
    EXPECT_EQ(h.failure_reason(), "malformed");
  }
  {
    HelloHandshake h(context(1));
    synod::proto::Hello hello;
    hello.set_protocol_version(99);
    hello.set_node_id(2);
    hello.set_cluster_name("c1");
    Frame frame{{}, hello.SerializeAsString()};
    frame.header.type = MessageType::kHello;
    EXPECT_EQ(h.on_frame(frame, ignored).code(), StatusCode::kUnimplemented);
    EXPECT_EQ(h.failure_reason(), "version");
  }
  {
    HelloHandshake h(context(1));
    Frame frame{{}, ""};
    frame.header.type = MessageType::kRaft;
    EXPECT_FALSE(h.on_frame(frame, ignored).is_ok());
    EXPECT_EQ(h.failure_reason(), "unexpected_frame");
  }
}

}  // namespace
}  // namespace synod::node::transport
