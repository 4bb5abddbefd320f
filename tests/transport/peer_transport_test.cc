// PeerTransport over real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include "tests/transport/transport_fixture.h"

namespace synod::node::transport::testing {
namespace {

std::string numbered(int i) { return "message-" + std::to_string(i); }

TEST_F(TransportTest, TwoTransportsExchangeMessagesInOrder) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, numbered(i)).is_ok());
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(two->send(NodeId(1), MessageType::kTest, numbered(i)).is_ok());
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 200 && inbox_[1].size() == 50; }));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(inbox_[2][i].payload, numbered(i));
    EXPECT_EQ(inbox_[2][i].from, NodeId(1));
    EXPECT_EQ(inbox_[2][i].type, MessageType::kRaft);
  }
  EXPECT_EQ(inbox_[1][49].payload, numbered(49));
  EXPECT_EQ(inbox_[1][49].type, MessageType::kTest);
  auto stats = one->stats(NodeId(2));
  ASSERT_TRUE(stats.has_value());
  EXPECT_TRUE(stats->connected);
  EXPECT_GE(stats->frames_sent, 200u);
  EXPECT_EQ(two->stats(NodeId(1))->frames_received, stats->frames_sent);
}

TEST_F(TransportTest, ThreeTransportsFormAFullMeshWithOneConnectionPerPair) {
  for (std::uint64_t id : {1, 2, 3}) make(id);
  mesh({1, 2, 3});
  for (std::uint64_t from : {1, 2, 3}) {
    for (std::uint64_t to : {1, 2, 3}) {
      if (from == to) continue;
      for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(transports_[from]->send(NodeId(to), MessageType::kRaft, numbered(i)).is_ok());
      }
    }
  }
  ASSERT_TRUE(run_until(
      [&] { return inbox_[1].size() == 40 && inbox_[2].size() == 40 && inbox_[3].size() == 40; }));
  // Per sender, order is kept.
  for (std::uint64_t to : {1, 2, 3}) {
    std::map<NodeId, int> next;
    for (const auto& message : inbox_[to])
      EXPECT_EQ(message.payload, numbered(next[message.from]++));
  }
  // Both ends of each pair agree on which connection they use: the one the
  // lower id dialled.
  for (std::uint64_t a : {1, 2, 3}) {
    for (std::uint64_t b : {1, 2, 3}) {
      if (a == b) continue;
      EXPECT_EQ(transports_[a]->stats(NodeId(b))->active_outbound, a < b) << a << "->" << b;
    }
  }
}

TEST_F(TransportTest, FramesQueuedInOneTurnGoOutInOneGatherWrite) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  const auto before = *one->stats(NodeId(2));
  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, numbered(i)).is_ok());
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == kCount; }));
  const auto after = *one->stats(NodeId(2));
  EXPECT_EQ(after.frames_sent - before.frames_sent, static_cast<std::uint64_t>(kCount));
  // All 500 were queued before the loop ran again, so one batch took them.
  EXPECT_EQ(after.writes - before.writes, 1u);
}

TEST_F(TransportTest, LargeFramesRoundTripAndOversizeSendsAreRefused) {
  auto limits = fast_limits();
  limits.max_frame_bytes = 1 << 20;
  auto one = make(1, "test", limits);
  auto two = make(2, "test", limits);
  mesh({1, 2});
  std::string big(1 << 20, 'b');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, big).is_ok());
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "small after big").is_ok());
  EXPECT_EQ(one->send(NodeId(2), MessageType::kRaft, std::string((1 << 20) + 1, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(one->send(NodeId(2), MessageType::kHello, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(one->send(NodeId(9), MessageType::kRaft, "x").code(), StatusCode::kUnavailable);
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 2; }));
  EXPECT_EQ(inbox_[2][0].payload, big);
  EXPECT_EQ(inbox_[2][1].payload, "small after big");
}

TEST_F(TransportTest, ReconnectsAfterTheListenerRestarts) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  const std::string address = two->listen_address();
  two->stop();
  transports_.erase(2);
  ASSERT_TRUE(run_until([&] { return !one->connected(NodeId(2)); }));
  // While node 2 is down, node 1 keeps trying and counts the failures.
  ASSERT_TRUE(run_until([&] { return one->stats(NodeId(2))->connection_failures >= 2; }));
  auto again = make(2, "test", fast_limits(), address);
  ASSERT_TRUE(run_until([&] { return one->connected(NodeId(2)); }));
  EXPECT_EQ(one->stats(NodeId(2))->reconnects, 1u);
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "after restart").is_ok());
  ASSERT_TRUE(
      run_until([&] { return !inbox_[2].empty() && inbox_[2].back().payload == "after restart"; }));
}

TEST_F(TransportTest, SimultaneousDialResolvesToTheLowerIdsConnection) {
  auto one = make(1);
  auto two = make(2);
  // Both dial in the same turn, before either accept has run.
  one->add_peer(NodeId(2), two->listen_address());
  two->add_peer(NodeId(1), one->listen_address());
  ASSERT_TRUE(run_until([&] {
    auto a = one->stats(NodeId(2));
    auto b = two->stats(NodeId(1));
    return a->connected && b->connected && a->active_outbound && !b->active_outbound;
  }));
  const auto id_one = one->stats(NodeId(2))->connection_id;
  const auto id_two = two->stats(NodeId(1))->connection_id;
  // Traffic both ways flows over that connection and nothing flaps.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, numbered(i)).is_ok());
    ASSERT_TRUE(two->send(NodeId(1), MessageType::kRaft, numbered(i)).is_ok());
  }
  ASSERT_TRUE(run_until([&] { return inbox_[1].size() >= 10 && inbox_[2].size() >= 10; }));
  EXPECT_EQ(one->stats(NodeId(2))->connection_id, id_one);
  EXPECT_EQ(two->stats(NodeId(1))->connection_id, id_two);
  EXPECT_EQ(one->stats(NodeId(2))->reconnects, 0u);
  EXPECT_EQ(two->stats(NodeId(1))->reconnects, 0u);
}

TEST_F(TransportTest, PeersAddedBeforeStartAreDialledOnStart) {
  auto two = make(2);
  PeerTransportOptions options;
  options.self = NodeId(1);
  options.cluster_name = "test";
  options.limits = fast_limits();
  auto one = PeerTransport::create(io_, options, random_);
  transports_[1] = one;
  one->add_peer(NodeId(2), two->listen_address());
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "queued before start").is_ok());
  ASSERT_TRUE(one->start().is_ok());
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 1; }));
  EXPECT_EQ(inbox_[2][0].payload, "queued before start");
}

TEST_F(TransportTest, QueueKeepsTheNewestFramesWhileThePeerIsAway) {
  auto limits = fast_limits();
  limits.max_queue_bytes = 10 * (kFrameHeaderSize + 10);
  auto one = make(1, "test", limits);
  auto two = make(2);
  one->add_peer(NodeId(2), "");  // node 1 waits for node 2 to dial in
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        one->send(NodeId(2), MessageType::kRaft, "frame-" + std::to_string(100 + i)).is_ok());
  }
  auto stats = *one->stats(NodeId(2));
  EXPECT_EQ(stats.queue_drops, 20u);
  EXPECT_EQ(stats.queue_frames, 10u);
  EXPECT_LE(stats.queue_bytes, limits.max_queue_bytes);
  two->add_peer(NodeId(1), one->listen_address());
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 10; }));
  EXPECT_EQ(inbox_[2].front().payload, "frame-120");
  EXPECT_EQ(inbox_[2].back().payload, "frame-129");
}

TEST_F(TransportTest, RemovedPeerIsDisconnectedAndRefusesSends) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  std::vector<std::pair<NodeId, bool>> events;
  one->set_connection_observer([&](NodeId peer, bool up) { events.emplace_back(peer, up); });
  one->remove_peer(NodeId(2));
  EXPECT_FALSE(one->connected(NodeId(2)));
  EXPECT_EQ(one->send(NodeId(2), MessageType::kRaft, "x").code(), StatusCode::kUnavailable);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].second);
  // Node 2 notices and, still knowing node 1's address, redials; node 1 now
  // accepts it as a peer it did not add (it may serve it, but never dials it).
  ASSERT_TRUE(run_until([&] { return one->connected(NodeId(2)); }));
  EXPECT_EQ(one->stats(NodeId(2))->address, "");
}

}  // namespace
}  // namespace synod::node::transport::testing
