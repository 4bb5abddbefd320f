// Channel: the per-connection record layer after a KeyExchange. It
// encrypts and numbers outbound frames and checks and decrypts inbound ones
// (compression happens before seal() and after open(), in the transport's
// SecureSealer, and the codec id is authenticated here); it also runs the rekey exchange that rolls each direction to a new
// key epoch (docs/crypto.md).
//
// - Each direction has its own key per epoch (epochs start at 1) and numbers
//   its frames 1, 2, 3... per epoch; (epoch, counter) is the AEAD nonce and
//   both travel in the frame header, which is authenticated as associated
//   data (everything but the payload length, which the AEAD covers).
// - Inbound frames must carry exactly the next counter of their epoch: a
//   lower one is a replay, a higher one a reordered or dropped frame.
// - Rekey: the sender of a direction sends REKEY(epoch+1, fresh ephemeral
//   public key) as a control frame; the receiver answers REKEY_ACK with its
//   own fresh ephemeral key and derives the next key from the direction's
//   chain key and the new X25519 secret; the sender switches once the ACK
//   arrives. Frames keep flowing under the old epoch meanwhile, and the
//   receiver keeps the previous epoch's key for rekey_grace, so nothing is
//   dropped or refused during a rotation.
//
// Not thread-safe: one connection, one thread (the transport's loop).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key_exchange.h"

namespace synod::crypto {

inline constexpr std::uint16_t kRekeyMessage = 16;
inline constexpr std::uint16_t kRekeyAckMessage = 17;
inline constexpr std::uint8_t kSealedFlag = 0x10;  // frame flag bit 4: payload is AEAD-sealed
inline constexpr std::uint16_t kFirstApplicationMessage = 32;

// The header fields the channel reads and writes (node/transport/frame.h).
struct FrameMeta {
  std::uint8_t version = 1;
  std::uint8_t flags = 0;
  std::uint16_t type = 0;
  std::uint8_t codec = 0;
  std::uint32_t epoch = 0;
  std::uint64_t counter = 0;
};

struct ChannelOptions {
  Duration rekey_interval = std::chrono::seconds(120);
  std::uint64_t rekey_bytes = 1ull << 30;
  Duration rekey_grace = std::chrono::seconds(10);
  const Clock* clock = nullptr;  // null: SystemClock
  // Tests: deterministic ephemeral secrets for rekeys; null: random.
  std::function<Key32()> ephemeral_source;
};

class Channel {
 public:
  Channel(const SessionKeys& keys, ChannelOptions options);

  // Encrypts `payload` in place; fills epoch and counter and sets
  // kSealedFlag in meta.flags (meta.codec, already set, is authenticated).
  Status seal(FrameMeta& meta, Bytes& payload);
  // Checks and decrypts; on failure failure_reason() is the metric label
  // (unsealed, truncated, unknown_epoch, replay, reorder, forged).
  // meta.codec is left for the caller to decompress.
  Status open(FrameMeta& meta, Bytes& payload);

  // Whether the send direction is due a rekey; if so, returns the REKEY
  // control payload to send and marks the rekey in flight.
  std::optional<HandshakeMessage> poll_rekey();
  // A REKEY or REKEY_ACK that open() accepted; may append the answer.
  Status on_control(std::uint16_t type, ByteView payload, std::vector<HandshakeMessage>& reply);

  [[nodiscard]] std::string_view failure_reason() const { return failure_reason_; }
  [[nodiscard]] std::uint32_t send_epoch() const { return send_.epoch; }
  [[nodiscard]] std::uint32_t receive_epoch() const { return receive_.epoch; }
  [[nodiscard]] Cipher cipher() const { return cipher_; }
  [[nodiscard]] std::uint8_t send_codec() const { return send_codec_; }

 private:
  struct Epoch {
    std::uint32_t epoch = 0;
    Key32 key;
    std::uint64_t next_counter = 1;  // receive: expected; send: next to use
  };

  Status fail(std::string_view reason, Status status);
  Status open_frame(const FrameMeta& meta, Bytes& payload);
  Status open_with(Epoch& epoch, const FrameMeta& meta, Bytes& payload);
  Key32 fresh_ephemeral();
  [[nodiscard]] MonoTime now() const;

  Cipher cipher_;
  std::uint8_t send_codec_;
  ChannelOptions options_;

  Epoch send_;
  Key32 send_chain_;
  std::uint64_t bytes_this_epoch_ = 0;
  MonoTime epoch_started_;
  bool rekey_in_flight_ = false;
  Key32 rekey_secret_, rekey_public_;

  Epoch receive_;
  Key32 receive_chain_;
  std::optional<Epoch> pending_;  // announced by REKEY, not yet used by the peer
  Key32 pending_chain_;
  std::optional<Epoch> previous_;  // kept until previous_expiry_
  MonoTime previous_expiry_;

  std::string failure_reason_;
  Bytes scratch_;
};

// The associated data of a frame (exposed for known-answer tests).
Bytes frame_associated_data(const FrameMeta& meta);

}  // namespace synod::crypto
