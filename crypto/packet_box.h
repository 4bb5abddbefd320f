// Sealing of single datagrams (gossip packets) with the cluster keyring.
//
// Datagrams arrive out of order, duplicated or not at all, so each packet
// stands alone: XChaCha20-Poly1305 under a per-cluster-key gossip key
// (keyed BLAKE2b of the cluster key, so it never equals a channel key) with
// a random 192-bit nonce. Layout:
//   u8 version (1) | 8-byte key id | 24-byte nonce | ciphertext + 16-byte tag
// The version and key id are associated data. Senders use the primary key;
// receivers accept any installed key, so a cluster-key rotation loses no
// packets.
#pragma once

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"

namespace synod::crypto {

inline constexpr std::size_t kPacketOverhead = 1 + 8 + 24 + 16;

Result<Bytes> seal_packet(const Keyring& keyring, ByteView plaintext);
// kPermissionDenied: unknown key id or failed authentication;
// kInvalidArgument: too short or unknown version.
Result<Bytes> open_packet(const Keyring& keyring, ByteView sealed);

}  // namespace synod::crypto
