// The secure channel through real PeerTransports on loopback: handshake,
// compression with every codec, rotation under load, refusals.
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "node/transport/secure_channel.h"
#include "tests/transport/transport_fixture.h"

namespace synod::node::transport {
namespace {

crypto::Key32 key(unsigned char fill) {
  crypto::Key32 k;
  k.bytes.fill(fill);
  return k;
}

std::shared_ptr<SecureHandshakeFactory> secure(const crypto::Key32& cluster_key,
                                               compression::CodecId codec,
                                               std::uint64_t rekey_bytes = 1ull << 30) {
  SecureChannelSettings s;
  s.node_key = std::make_shared<const crypto::NodeKey>(crypto::NodeKey::generate());
  s.keyring = std::make_shared<crypto::KeyringStore>(crypto::Keyring(cluster_key));
  compression::CompressorOptions copts;
  copts.codec = codec;
  copts.min_bytes = 64;
  copts.adaptive = false;
  s.compressor = std::make_shared<compression::Compressor>(copts);
  s.channel.rekey_bytes = rekey_bytes;
  return std::make_shared<SecureHandshakeFactory>(std::move(s));
}

double metric(std::string_view name, const metrics::Labels& labels) {
  const std::string text = metrics::Registry::global().render();
  const std::string needle = std::string(name) + metrics::render_labels(labels);
  const auto pos = text.find("\n" + needle + " ");
  if (pos == std::string::npos) return 0;
  return std::stod(text.substr(pos + needle.size() + 2));
}

class SecureTransportTest : public testing::TransportTest {};

TEST_F(SecureTransportTest, EveryCodecRoundTripsThroughTheSealedChannel) {
  for (auto codec : {compression::CodecId::kNone, compression::CodecId::kLz4,
                     compression::CodecId::kZstd, compression::CodecId::kSnappy,
                     compression::CodecId::kGzip}) {
    const std::uint64_t a = 10 + 2 * static_cast<std::uint64_t>(codec), b = a + 1;
    make(a, "test", fast_limits(), "127.0.0.1:0", secure(key(1), codec));
    make(b, "test", fast_limits(), "127.0.0.1:0", secure(key(1), codec));
    mesh({a, b});
    const std::string big(10000, 'x');
    ASSERT_TRUE(transports_[a]->send(NodeId(b), MessageType::kTest, big).is_ok());
    ASSERT_TRUE(transports_[b]->send(NodeId(a), MessageType::kTest, "small").is_ok());
    ASSERT_TRUE(run_until([&] { return !inbox_[b].empty() && !inbox_[a].empty(); }));
    EXPECT_EQ(inbox_[b][0].payload, big);
    EXPECT_EQ(inbox_[a][0].payload, "small");
  }
}

TEST_F(SecureTransportTest, RotationUnderLoadDeliversEveryFrame) {
  make(1, "test", fast_limits(), "127.0.0.1:0", secure(key(1), compression::CodecId::kLz4, 1024));
  make(2, "test", fast_limits(), "127.0.0.1:0", secure(key(1), compression::CodecId::kLz4, 1024));
  mesh({1, 2});
  const double rekeys_before = metric("synod_crypto_rekeys_total", {});
  constexpr int kFrames = 20000;
  int sent = 0;
  // Keep the queue busy: send in bursts while the loop runs.
  ASSERT_TRUE(run_until([&] {
    for (int burst = 0; burst < 20 && sent < kFrames; ++burst) {
      if (transports_[1]->send(NodeId(2), MessageType::kTest, "frame " + std::to_string(sent))
              .is_ok()) {
        ++sent;
      }
    }
    return sent == kFrames && inbox_[2].size() == static_cast<std::size_t>(kFrames);
  }, std::chrono::seconds(60)));
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ(inbox_[2][i].payload, "frame " + std::to_string(i));
  EXPECT_GT(metric("synod_crypto_rekeys_total", {}) - rekeys_before, 10);
}

TEST_F(SecureTransportTest, WrongClusterKeyIsRefusedAndTheNodeKeepsServing) {
  make(1, "test", fast_limits(), "127.0.0.1:0", secure(key(1), compression::CodecId::kLz4));
  make(2, "test", fast_limits(), "127.0.0.1:0", secure(key(1), compression::CodecId::kLz4));
  make(3, "test", fast_limits(), "127.0.0.1:0", secure(key(9), compression::CodecId::kLz4));
  const double before =
      metric("synod_peer_handshake_rejections_total", {{"reason", "unknown_key"}});
  transports_[3]->add_peer(NodeId(1), transports_[1]->listen_address());
  ASSERT_TRUE(run_until([&] {
    return metric("synod_peer_handshake_rejections_total", {{"reason", "unknown_key"}}) > before;
  }));
  mesh({1, 2});
  ASSERT_TRUE(transports_[2]->send(NodeId(1), MessageType::kTest, "still here").is_ok());
  ASSERT_TRUE(run_until([&] { return !inbox_[1].empty(); }));
  EXPECT_EQ(inbox_[1][0].payload, "still here");
  auto stats = transports_[3]->stats(NodeId(1));
  EXPECT_FALSE(stats && stats->connected);
}

// A shared zstd dictionary is used on a channel only once both ends hold it:
// each side tells the other (kDictionaryMessage) and compresses with it only
// when the peer's current dictionary is its own.
TEST_F(SecureTransportTest, SharedDictionaryIsUsedOnlyOnceBothSidesHaveIt) {
  auto fa = secure(key(1), compression::CodecId::kZstd);
  auto fb = secure(key(1), compression::CodecId::kZstd);
  make(1, "test", fast_limits(), "127.0.0.1:0", fa);
  make(2, "test", fast_limits(), "127.0.0.1:0", fb);
  mesh({1, 2});
  std::vector<Bytes> samples;
  for (int i = 0; i < 1000; ++i) {
    samples.push_back("{\"key\":\"service/web/instance-" + std::to_string(i) +
                      "\",\"flags\":0,\"value\":\"address=10.0." + std::to_string(i % 250) +
                      ".7 port=" + std::to_string(8000 + i % 100) + " tags=primary,v2\"}");
  }
  auto dictionary = compression::train_zstd_dictionary(samples, 4096);
  ASSERT_TRUE(dictionary.is_ok()) << dictionary.status();
  Bytes payload;
  for (int i = 5000; i < 5004; ++i) payload += samples[static_cast<std::size_t>(i % 1000)];
  const metrics::Labels sent{{"direction", "sent"}}, received{{"direction", "received"}};
  // Each exchange: 1 -> 2 and 2 -> 1, then wait for both.
  std::size_t exchanged = 0;
  auto exchange = [&] {
    ASSERT_TRUE(transports_[1]->send(NodeId(2), MessageType::kTest, payload).is_ok());
    ASSERT_TRUE(transports_[2]->send(NodeId(1), MessageType::kTest, payload).is_ok());
    ++exchanged;
    ASSERT_TRUE(run_until(
        [&] { return inbox_[1].size() == exchanged && inbox_[2].size() == exchanged; }));
    EXPECT_EQ(inbox_[1].back().payload, payload);
    EXPECT_EQ(inbox_[2].back().payload, payload);
  };
  const double sent_before = metric("synod_compression_dictionary_frames_total", sent);
  ASSERT_TRUE(fa->settings().compressor->set_zstd_dictionary(*dictionary).is_ok());
  for (int i = 0; i < 3; ++i) exchange();  // node 1 told node 2, which has none yet
  EXPECT_EQ(metric("synod_compression_dictionary_frames_total", sent), sent_before);

  ASSERT_TRUE(fb->settings().compressor->set_zstd_dictionary(*dictionary).is_ok());
  const double received_before = metric("synod_compression_dictionary_frames_total", received);
  for (int i = 0; i < 3; ++i) exchange();  // now both know; the later frames use it
  EXPECT_GE(metric("synod_compression_dictionary_frames_total", sent) - sent_before, 3);
  EXPECT_GE(metric("synod_compression_dictionary_frames_total", received) - received_before, 3);
}

}  // namespace
}  // namespace synod::node::transport
