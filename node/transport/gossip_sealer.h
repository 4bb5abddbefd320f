// discovery::PacketSealer over the cluster keyring (crypto/packet_box.h):
// gossip packets sealed with the primary cluster key, opened with any
// installed one. Reads the keyring through KeyringStore snapshots, so a
// keyring change applies to the next packet.
#pragma once

#include <memory>
#include <string>

#include "crypto/keyring.h"
#include "crypto/packet_box.h"
#include "discovery/packet_sealer.h"

namespace synod::node::transport {

class GossipSealer final : public discovery::PacketSealer {
 public:
  explicit GossipSealer(std::shared_ptr<crypto::KeyringStore> keyring)
      : keyring_(std::move(keyring)) {}
  [[nodiscard]] std::string name() const override { return "xchacha20poly1305"; }
  [[nodiscard]] bool protects() const override { return true; }
  [[nodiscard]] Result<Bytes> seal(ByteView plaintext) override {
    (void)keyring_->reload_if_changed(std::chrono::seconds(1));  // errors: keep the current ring
    return crypto::seal_packet(*keyring_->snapshot(), plaintext);
  }
  [[nodiscard]] Result<Bytes> open(ByteView sealed) override {
    return crypto::open_packet(*keyring_->snapshot(), sealed);
  }

 private:
  std::shared_ptr<crypto::KeyringStore> keyring_;
};

}  // namespace synod::node::transport
