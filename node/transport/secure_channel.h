// The secure peer channel (issue 8) plugged into the transport's seams:
// SecureHandshakeFactory makes a SecureHandshake per connection (the
// crypto::KeyExchange state machine over frame types 2-3), whose outcome
// carries a SecureSealer (crypto::Channel plus compression) for the
// connection's frames. docs/crypto.md describes protocol, keys and metrics.
//
// Threading: handshakes and sealers run on the transport's loop thread. The
// keyring is read through KeyringStore snapshots, so it may be replaced from
// any thread (HTTP, replicated-state apply) while connections open.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compression/compressor.h"
#include "crypto/channel.h"
#include "crypto/key_exchange.h"
#include "crypto/keyring.h"
#include "crypto/node_key.h"
#include "node/transport/frame_sealer.h"
#include "node/transport/handshake.h"

namespace synod::node::transport {

struct SecureChannelSettings {
  std::shared_ptr<const crypto::NodeKey> node_key;
  std::shared_ptr<crypto::KeyringStore> keyring;
  crypto::Cipher cipher = crypto::Cipher::kXChaCha20Poly1305;
  std::vector<crypto::Key32> allowed_peers;  // empty: any peer holding the cluster key
  // Shared by every connection; null: nothing is compressed and compressed
  // inbound frames are refused (unknown_codec).
  std::shared_ptr<compression::Compressor> compressor;
  crypto::ChannelOptions channel;
  // Tests: deterministic ephemeral keys for the handshake (known answers).
  std::function<std::optional<crypto::Key32>()> ephemeral_seed;
};

// Channel-control frame (sealed like any other): "I can decode zstd frames
// made with dictionary <u32 id>" (0: none). Sent when a connection's first
// frame goes out after this node's dictionary changed; the peer then
// compresses with that dictionary if it is its current one too.
inline constexpr std::uint16_t kDictionaryMessage = 18;

// Seals frames with a crypto::Channel; compresses application payloads
// (types >= 32) over compression.min_bytes before encrypting them.
class SecureSealer final : public FrameSealer {
 public:
  SecureSealer(crypto::Channel channel, std::shared_ptr<compression::Compressor> compressor,
               std::uint64_t peer);
  [[nodiscard]] std::string_view name() const override { return name_; }
  [[nodiscard]] std::size_t max_expansion() const override { return crypto::kAeadTagBytes; }
  void attach(ControlSink& sink) override { sink_ = &sink; }
  Status seal(FrameHeader& header, Bytes& payload) override;
  Status open(FrameHeader& header, Bytes& payload) override;
  Status on_control(const FrameHeader& header, ByteView payload, ControlSink& sink) override;

  [[nodiscard]] const crypto::Channel& channel() const { return channel_; }

 private:
  Status reject(std::string_view reason, const Status& status);

  crypto::Channel channel_;
  std::shared_ptr<compression::Compressor> compressor_;
  std::uint64_t peer_;
  std::string name_;
  ControlSink* sink_ = nullptr;
  Bytes scratch_;
  std::uint32_t told_dictionary_ = 0;  // our dictionary id as last sent to the peer
  std::uint32_t peer_dictionary_ = 0;  // the peer's, from its kDictionaryMessage
};

class SecureHandshake final : public Handshake {
 public:
  SecureHandshake(const HandshakeContext& context, const SecureChannelSettings& settings);
  Status start(std::vector<Frame>& send) override;
  Status on_frame(const Frame& frame, std::vector<Frame>& send) override;
  [[nodiscard]] bool done() const override { return exchange_.done(); }
  HandshakeOutcome take_outcome() override;
  [[nodiscard]] std::string_view failure_reason() const override {
    return exchange_.failure_reason();
  }

 private:
  static void append(std::vector<crypto::HandshakeMessage>& messages, std::vector<Frame>& send);

  const SecureChannelSettings& settings_;
  crypto::KeyExchange exchange_;
};

class SecureHandshakeFactory final : public HandshakeFactory {
 public:
  explicit SecureHandshakeFactory(SecureChannelSettings settings)
      : settings_(std::move(settings)) {}
  // Picks up keyring file changes first, so a new connection always uses
  // the keyring as `synod keys` last left it.
  std::unique_ptr<Handshake> create(const HandshakeContext& context) override;
  [[nodiscard]] const SecureChannelSettings& settings() const { return settings_; }

 private:
  SecureChannelSettings settings_;
};

}  // namespace synod::node::transport
