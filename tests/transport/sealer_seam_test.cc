// The issue-8 seams: a replacement handshake installs a FrameSealer that sees
// every frame in order, fills the crypto header fields and exchanges its own
// control frames.
#include <gtest/gtest.h>

#include "node/transport/transport_metrics.h"
#include "tests/transport/transport_fixture.h"

namespace synod::node::transport::testing {
namespace {

struct SealerLog {
  std::vector<std::string> control_received;
  std::uint64_t sealed = 0;
  std::uint64_t opened = 0;
};

// XORs payloads, stamps codec/epoch/counter and a sealer flag, and checks
// on open that counters arrive in sequence (as an AEAD nonce check would).
class XorSealer final : public FrameSealer {
 public:
  explicit XorSealer(SealerLog& log) : log_(log) {}
  [[nodiscard]] std::string_view name() const override { return "xor-test"; }
  void attach(ControlSink& sink) override {
    sink.send_control(MessageType::kChannelControlFirst, "rekey-offer");
  }
  Status seal(FrameHeader& header, Bytes& payload) override {
    for (auto& c : payload) c = static_cast<char>(c ^ 0x5A);
    header.codec_id = 7;
    header.key_epoch = 3;
    header.counter = ++send_counter_;
    header.flags |= 0x80;
    ++log_.sealed;
    return Status::ok();
  }
  Status open(FrameHeader& header, Bytes& payload) override {
    if (header.codec_id != 7 || header.key_epoch != 3 || (header.flags & 0x80) == 0) {
      return permission_denied("frame not sealed by xor-test");
    }
    if (header.counter != receive_counter_ + 1) return permission_denied("replayed or reordered");
    receive_counter_ = header.counter;
    for (auto& c : payload) c = static_cast<char>(c ^ 0x5A);
    header.flags &= ~std::uint8_t{0x80};
    ++log_.opened;
    return Status::ok();
  }
  Status on_control(const FrameHeader& header, ByteView payload, ControlSink& sink) override {
    log_.control_received.emplace_back(payload);
    if (payload == "rekey-offer") {
      sink.send_control(static_cast<MessageType>(to_wire(header.type) + 1), "rekey-ack");
    }
    return Status::ok();
  }

 private:
  SealerLog& log_;
  std::uint64_t send_counter_ = 0;
  std::uint64_t receive_counter_ = 0;
};

// The Hello exchange, but the outcome carries an XorSealer.
class XorHandshake final : public Handshake {
 public:
  XorHandshake(const HandshakeContext& context, SealerLog& log) : hello_(context), log_(log) {}
  Status start(std::vector<Frame>& send) override { return hello_.start(send); }
  Status on_frame(const Frame& frame, std::vector<Frame>& send) override {
    return hello_.on_frame(frame, send);
  }
  [[nodiscard]] bool done() const override { return hello_.done(); }
  HandshakeOutcome take_outcome() override {
    HandshakeOutcome outcome = hello_.take_outcome();
    outcome.sealer = std::make_unique<XorSealer>(log_);
    return outcome;
  }
  [[nodiscard]] std::string_view failure_reason() const override { return hello_.failure_reason(); }

 private:
  HelloHandshake hello_;
  SealerLog& log_;
};

class XorHandshakeFactory final : public HandshakeFactory {
 public:
  explicit XorHandshakeFactory(SealerLog& log) : log_(log) {}
  std::unique_ptr<Handshake> create(const HandshakeContext& context) override {
    return std::make_unique<XorHandshake>(context, log_);
  }

 private:
  SealerLog& log_;
};

class SealerSeamTest : public TransportTest {
 protected:
  std::shared_ptr<PeerTransport> make_sealed(std::uint64_t id, SealerLog& log) {
    return make(id, "test", fast_limits(), "127.0.0.1:0",
                std::make_shared<XorHandshakeFactory>(log));
  }
};

TEST_F(SealerSeamTest, EveryFramePassesTheSealerAndControlFramesReachOnlyIt) {
  SealerLog log_one, log_two;
  auto one = make_sealed(1, log_one);
  auto two = make_sealed(2, log_two);
  one->add_peer(NodeId(2), two->listen_address());
  ASSERT_TRUE(run_until([&] { return one->connected(NodeId(2)) && two->connected(NodeId(1)); }));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(one->send(NodeId(2), MessageType::kRaft, "secret-" + std::to_string(i)).is_ok());
  }
  ASSERT_TRUE(run_until([&] { return inbox_[2].size() == 50; }));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(inbox_[2][i].payload, "secret-" + std::to_string(i));
  // Each side offered a rekey on attach and acknowledged the other's offer.
  ASSERT_TRUE(run_until([&] {
    return log_one.control_received.size() == 2 && log_two.control_received.size() == 2;
  }));
  EXPECT_EQ(log_two.opened, 50u + 2u);  // 50 messages + offer + ack, in counter order
  EXPECT_TRUE(inbox_[1].empty());       // control frames never reach the application
}

TEST_F(SealerSeamTest, SealedPeerTalkingToAPlainPeerIsRefusedAsUnseal) {
  SealerLog log;
  auto one = make_sealed(1, log);
  auto two = make(2);  // identity channel
  const double before = decode_error_counter("unseal").value();
  one->add_peer(NodeId(2), two->listen_address());
  ASSERT_TRUE(run_until([&] { return decode_error_counter("unseal").value() > before; }));
  EXPECT_TRUE(inbox_[2].empty());
}

}  // namespace
}  // namespace synod::node::transport::testing
