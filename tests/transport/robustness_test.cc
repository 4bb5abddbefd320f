// Bad input on the peer port, refused handshakes and fault injection.
#include <gtest/gtest.h>

#include "node/transport/transport_metrics.h"
#include "tests/transport/transport_fixture.h"
// proto/CMakeLists.txt currently writes generated files to the build root.
#if __has_include("proto/peer.pb.h")
#include "proto/peer.pb.h"
#else
#include "peer.pb.h"
#endif

namespace synod::node::transport::testing {
namespace {

using std::chrono::milliseconds;

// A raw client that writes bytes to a transport's port and reports when the
// transport closes the connection.
class RawClient {
 public:
  RawClient(asio::io_context& io, const std::string& address) : socket_(io) {
    auto host_port = split_host_port(address);
    EXPECT_TRUE(host_port.is_ok());
    error_code error;
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host_port->first),
                                     static_cast<unsigned short>(std::stoi(host_port->second)));
    socket_.connect(endpoint, error);  // completes from the listen backlog
    EXPECT_FALSE(error) << error.message();
    read();
  }
  void write(const std::string& bytes) {
    auto copy = std::make_shared<std::string>(bytes);
    asio::async_write(socket_, asio::buffer(*copy), [copy](const error_code&, std::size_t) {});
  }
  [[nodiscard]] bool closed_by_peer() const { return closed_; }
  [[nodiscard]] const std::string& received() const { return received_; }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [this](const error_code& error, std::size_t n) {
      if (error) {
        closed_ = true;
        return;
      }
      received_.append(buffer_.data(), n);
      read();
    });
  }
  asio::ip::tcp::socket socket_;
  std::array<char, 4096> buffer_{};
  std::string received_;
  bool closed_ = false;
};

class GarbageTest : public TransportTest {
 protected:
  // Sends `bytes` to a fresh transport and expects the connection closed
  // with decode reason `reason`; then checks the listener still serves.
  void expect_refused(const std::string& bytes, std::string_view reason) {
    auto server = transports_.count(2) ? transports_[2] : make(2);
    const double before = decode_error_counter(reason).value();
    RawClient client(io_, server->listen_address());
    client.write(bytes);
    ASSERT_TRUE(run_until([&] { return client.closed_by_peer(); })) << reason;
    EXPECT_EQ(decode_error_counter(reason).value(), before + 1) << reason;
    // The listener keeps serving real peers.
    auto peer = transports_.count(1) ? transports_[1] : make(1);
    if (!peer->connected(NodeId(2))) mesh({1, 2});
    const std::string marker = "still serving after " + std::string(reason);
    ASSERT_TRUE(peer->send(NodeId(2), MessageType::kRaft, marker).is_ok());
    ASSERT_TRUE(
        run_until([&] { return !inbox_[2].empty() && inbox_[2].back().payload == marker; }));
  }
};

TEST_F(GarbageTest, HttpTextOnThePeerPortIsRefusedAsBadMagic) {
  expect_refused("GET /v1/kv/foo HTTP/1.1\r\nHost: x\r\n\r\n", "bad_magic");
}

TEST_F(GarbageTest, RandomBytesAreRefused) {
  SeededRandom random(99);
  std::string bytes(4096, '\0');
  for (auto& c : bytes) c = static_cast<char>(random.next_u64());
  bytes[0] = 'x';  // make sure it is not our magic by chance
  expect_refused(bytes, "bad_magic");
}

TEST_F(GarbageTest, OversizeLengthIsRefusedWithoutAllocatingIt) {
  FrameHeader header;
  header.type = MessageType::kHello;
  header.payload_length = 0xFFFFFFFF;
  auto head = encode_header(header);
  expect_refused(std::string(head.data(), head.size()), "oversize");
}

TEST_F(GarbageTest, UnknownWireVersionIsRefused) {
  FrameHeader header;
  header.type = MessageType::kHello;
  header.version = 7;
  expect_refused(encode_frame(header, ""), "unsupported_version");
}

TEST_F(GarbageTest, ApplicationFrameBeforeTheHandshakeIsRefused) {
  FrameHeader header;
  header.type = MessageType::kRaft;
  expect_refused(encode_frame(header, "sneaky"), "before_handshake");
}

TEST_F(GarbageTest, ConnectionCutInsideAFrameCountsAsTruncated) {
  auto server = make(2);
  const double before = decode_error_counter("truncated").value();
  {
    asio::ip::tcp::socket socket(io_);
    auto host_port = *split_host_port(server->listen_address());
    socket.connect({asio::ip::make_address(host_port.first),
                    static_cast<unsigned short>(std::stoi(host_port.second))});
    FrameHeader header;
    header.type = MessageType::kHello;
    Bytes partial = encode_frame(header, "0123456789").substr(0, 30);
    asio::write(socket, asio::buffer(partial));
  }  // closed here: EOF in the middle of the payload
  ASSERT_TRUE(run_until([&] { return decode_error_counter("truncated").value() == before + 1; }));
}

TEST_F(TransportTest, PeerFromAnotherClusterIsRefusedWithAReason) {
  auto one = make(1, "blue");
  auto two = make(2, "green");
  const double before = handshake_rejection_counter("wrong_cluster").value();
  one->add_peer(NodeId(2), two->listen_address());
  // Both sides refuse: two counts on each.
  ASSERT_TRUE(run_until(
      [&] { return handshake_rejection_counter("wrong_cluster").value() >= before + 2; }));
  EXPECT_FALSE(one->connected(NodeId(2)));
  EXPECT_FALSE(two->connected(NodeId(1)));
  EXPECT_GE(one->stats(NodeId(2))->connection_failures, 1u);
}

TEST_F(TransportTest, SecondNodeWithTheSameIdFromAnotherAddressIsRefused) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  const double before = handshake_rejection_counter("duplicate_id").value();
  // A second process that also calls itself node 1 dials node 2.
  PeerTransportOptions options;
  options.self = NodeId(1);
  options.cluster_name = "test";
  options.limits = fast_limits();
  auto impostor = PeerTransport::create(io_, options, random_);
  ASSERT_TRUE(impostor->start().is_ok());
  transports_[101] = impostor;
  impostor->add_peer(NodeId(2), two->listen_address());
  ASSERT_TRUE(
      run_until([&] { return handshake_rejection_counter("duplicate_id").value() > before; }));
  // The original link is untouched.
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "original").is_ok());
  ASSERT_TRUE(
      run_until([&] { return !inbox_[2].empty() && inbox_[2].back().payload == "original"; }));
  EXPECT_EQ(two->stats(NodeId(1))->reconnects, 0u);
}

TEST_F(TransportTest, HandshakeThatNeverCompletesTimesOut) {
  auto limits = fast_limits();
  limits.connect_timeout = milliseconds(100);
  auto server = make(2, "test", limits);
  const double before = handshake_rejection_counter("timeout").value();
  RawClient silent(io_, server->listen_address());
  ASSERT_TRUE(run_until([&] { return silent.closed_by_peer(); }));
  EXPECT_EQ(handshake_rejection_counter("timeout").value(), before + 1);
  // The server did send its Hello first.
  auto frame = decode_frame(silent.received(), 1 << 20);
  ASSERT_TRUE(frame.is_ok()) << frame.status();
  synod::proto::Hello hello;
  ASSERT_TRUE(hello.ParseFromString(frame->payload));
  EXPECT_EQ(hello.node_id(), 2u);
  EXPECT_EQ(hello.cluster_name(), "test");
}

TEST_F(TransportTest, OutboundDropFaultLosesFramesUntilCleared) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  one->set_fault(NodeId(2), FaultRule{0, 1.0, Duration(0), Duration(0)});
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "lost").is_ok());
  EXPECT_EQ(one->stats(NodeId(2))->fault_drops, 20u);
  one->clear_faults();
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "marker").is_ok());
  ASSERT_TRUE(run_until([&] { return !inbox_[2].empty(); }));
  ASSERT_EQ(inbox_[2].size(), 1u);
  EXPECT_EQ(inbox_[2][0].payload, "marker");
}

TEST_F(TransportTest, InboundDropFaultMakesAOneWayPartition) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  two->set_fault(NodeId(1), FaultRule{1.0, 0, Duration(0), Duration(0)});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "lost").is_ok());
    ASSERT_TRUE(two->send(NodeId(1), MessageType::kRaft, "through").is_ok());
  }
  ASSERT_TRUE(run_until(
      [&] { return inbox_[1].size() == 10 && two->stats(NodeId(1))->fault_drops == 10; }));
  EXPECT_TRUE(inbox_[2].empty());
  two->set_fault(NodeId(1), FaultRule{});
  ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "healed").is_ok());
  ASSERT_TRUE(run_until([&] { return !inbox_[2].empty(); }));
  EXPECT_EQ(inbox_[2][0].payload, "healed");
}

TEST_F(TransportTest, DelayFaultsHoldFramesBackButKeepTheirOrder) {
  auto one = make(1);
  auto two = make(2);
  mesh({1, 2});
  const Duration delay = milliseconds(100);
  one->set_fault(NodeId(2), FaultRule{0, 0, Duration(0), delay});
  two->set_fault(NodeId(1), FaultRule{0, 0, delay, Duration(0)});
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, std::to_string(i)).is_ok());
  EXPECT_EQ(one->stats(NodeId(2))->queue_frames, 0u);  // held by the outbound delay
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 5; }));
  // Lower bound only: both delays were applied.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2 * delay);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(inbox_[2][i].payload, std::to_string(i));
}

}  // namespace
}  // namespace synod::node::transport::testing
