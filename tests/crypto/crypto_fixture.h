// Deterministic keys and a pair of finished key exchanges for the crypto tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/key_exchange.h"

namespace synod::crypto::testing {

// Lower-case hex of `v`, for known-answer comparisons.
inline std::string hex(ByteView v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : v) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline Key32 fixed_key(unsigned char fill) {
  Key32 key;
  for (std::size_t i = 0; i < kKeyBytes; ++i) key.bytes[i] = static_cast<unsigned char>(fill + i);
  return key;
}

inline ExchangeParams params_for(std::uint64_t id, bool initiator, const Keyring& ring,
                                 unsigned char seed) {
  ExchangeParams p;
  p.self_id = id;
  p.cluster_name = "test";
  p.advertise_address = "127.0.0.1:" + std::to_string(8000 + id);
  p.initiator = initiator;
  p.node_key = std::make_shared<const NodeKey>(NodeKey::from_secret(fixed_key(seed)));
  p.keyring = std::make_shared<const Keyring>(ring);
  p.ephemeral_seed = fixed_key(static_cast<unsigned char>(seed + 100));
  p.codec = 1;
  p.cipher_mask = 0x06;  // the two ChaCha ciphers, on any CPU
  return p;
}

// Delivers messages between two exchanges until neither has anything to send.
// Returns the first failure, naming which side failed in *failed_side (0/1).
inline Status run_exchange(KeyExchange& a, KeyExchange& b, int* failed_side = nullptr) {
  std::vector<HandshakeMessage> to_b, to_a;
  SYNOD_RETURN_IF_ERROR(a.start(to_b));
  SYNOD_RETURN_IF_ERROR(b.start(to_a));
  while (!to_a.empty() || !to_b.empty()) {
    std::vector<HandshakeMessage> next_b, next_a;
    for (auto& m : to_b) {
      Status s = b.on_message(m.type, m.payload, next_a);
      if (!s.is_ok()) {
        if (failed_side) *failed_side = 1;
        return s;
      }
    }
    for (auto& m : to_a) {
      Status s = a.on_message(m.type, m.payload, next_b);
      if (!s.is_ok()) {
        if (failed_side) *failed_side = 0;
        return s;
      }
    }
    to_a = std::move(next_a);
    to_b = std::move(next_b);
  }
  return Status::ok();
}

}  // namespace synod::crypto::testing
