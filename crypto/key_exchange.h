// KeyExchange: the authenticated key exchange that opens a secure peer
// channel. A pure state machine (no sockets, no clock) fed the peer's
// handshake messages, so it is unit-tested with known answers and fuzzed.
//
// Two flights, both sides symmetric (docs/crypto.md has the byte layout):
//   1. HELLO  (type 2): version, node id, cluster name, advertised address,
//      static public key S, fresh ephemeral public key E, the ids of the
//      cluster keys the sender holds (primary first), cipher and codec offers.
//   2. FINISH (type 3): a 32-byte MAC over the transcript of both Hellos
//      under a confirmation key derived from the session secret.
// The session secret mixes an ephemeral-ephemeral crypto_kx exchange,
// ephemeral-static and static-ephemeral X25519 and the transcript hash under
// a keyed BLAKE2b whose key is the cluster key the initiator named. A valid
// FINISH therefore proves the peer holds that cluster key and the secret key
// of the static key it presented; the ephemeral keys give forward secrecy.
// crypto_kdf (BLAKE2b) then derives a send and a receive key per direction
// plus a chain key per direction for later rekeys (channel.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "crypto/node_key.h"

namespace synod::crypto {

inline constexpr std::uint16_t kHelloMessage = 2;
inline constexpr std::uint16_t kFinishMessage = 3;
inline constexpr std::uint8_t kExchangeVersion = 1;

struct ExchangeParams {
  std::uint64_t self_id = 0;
  std::string cluster_name;
  std::string advertise_address;
  bool initiator = false;
  std::uint64_t expected_peer = 0;  // 0: any (inbound)
  std::shared_ptr<const NodeKey> node_key;
  std::shared_ptr<const Keyring> keyring;  // must not be empty
  Cipher cipher = Cipher::kXChaCha20Poly1305;
  std::uint8_t cipher_mask = 0;     // ciphers offered; 0: every one this CPU runs
  std::uint8_t codec = 0;           // compression codec this side sends with
  std::uint8_t codec_mask = 0x1F;   // bit (1 << id) per codec this side decodes
  std::vector<Key32> allowed_peers; // static public keys; empty: any
  std::optional<Key32> ephemeral_seed;  // tests only: a deterministic ephemeral key
};

// What a finished exchange yields; secrets wipe themselves.
struct SessionKeys {
  Cipher cipher = Cipher::kXChaCha20Poly1305;
  std::uint8_t send_codec = 0;  // the codec this side may use (the peer decodes it)
  Key32 send_key, receive_key;
  Key32 send_chain, receive_chain;
  std::uint64_t peer_id = 0;
  std::string peer_address;
  Key32 peer_static;
  Key32 transcript;
};

struct HandshakeMessage {
  std::uint16_t type = 0;
  Bytes payload;
};

class KeyExchange {
 public:
  explicit KeyExchange(ExchangeParams params);
  ~KeyExchange();

  // The HELLO to send when the connection opens.
  Status start(std::vector<HandshakeMessage>& send);
  // One handshake message from the peer. Non-OK: close; failure_reason() is
  // the metric label.
  Status on_message(std::uint16_t type, ByteView payload, std::vector<HandshakeMessage>& send);

  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] const SessionKeys& keys() const { return keys_; }
  [[nodiscard]] std::string_view failure_reason() const { return failure_reason_; }

 private:
  Status fail(std::string_view reason, Status status);
  Status on_hello(ByteView payload, std::vector<HandshakeMessage>& send);
  Status on_finish(ByteView payload);

  ExchangeParams params_;
  Key32 ephemeral_public_, ephemeral_secret_;
  Bytes own_hello_;
  std::vector<KeyId> own_key_ids_;
  bool hello_received_ = false;
  bool done_ = false;
  Key32 confirm_peer_;
  SessionKeys keys_;
  std::string failure_reason_;
};

}  // namespace synod::crypto
