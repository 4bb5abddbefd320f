// PacketSealer: authenticates and encrypts gossip packets with the cluster
// keyring (implemented by the crypto layer, issue 8). The gossip core calls
// seal() on every packet it sends and open() on every packet it receives;
// a packet that does not open is dropped and counted
// (synod_gossip_bad_packets_total{reason="open"}).
//
// Threading: called on the gossip owner's thread only (the node's loop).
#pragma once

#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::discovery {

class PacketSealer {
 public:
  virtual ~PacketSealer() = default;
  // A short name for logs ("none", "xchacha20poly1305", ...).
  [[nodiscard]] virtual std::string name() const = 0;
  // True if packets are really protected (false for the no-op sealer).
  [[nodiscard]] virtual bool protects() const = 0;
  // Plaintext packet -> bytes to put on the wire.
  [[nodiscard]] virtual Result<Bytes> seal(ByteView plaintext) = 0;
  // Bytes from the wire -> the plaintext packet, or an error if they do not
  // authenticate (wrong key, tampered, replayed, truncated).
  [[nodiscard]] virtual Result<Bytes> open(ByteView sealed) = 0;
};

// Passes packets through unchanged: gossip.encrypt=false, or no keyring yet.
class NoopSealer final : public PacketSealer {
 public:
  [[nodiscard]] std::string name() const override { return "none"; }
  [[nodiscard]] bool protects() const override { return false; }
  [[nodiscard]] Result<Bytes> seal(ByteView plaintext) override { return Bytes(plaintext); }
  [[nodiscard]] Result<Bytes> open(ByteView sealed) override { return Bytes(sealed); }
};

}  // namespace synod::discovery
