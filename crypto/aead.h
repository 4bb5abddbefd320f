// The AEAD ciphers a peer channel can use, behind one small interface.
//
// Nonces are never random here: a channel direction has its own key per
// epoch and numbers its frames, so (epoch, counter) is unique per key. The
// nonce is epoch (u32 LE) || counter (u64 LE), zero-padded to the cipher's
// nonce size.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/sodium.h"

namespace synod::crypto {

// Wire ids (handshake): never renumber.
enum class Cipher : std::uint8_t {
  kXChaCha20Poly1305 = 1,
  kChaCha20Poly1305 = 2,
  kAes256Gcm = 3,
};

inline constexpr std::size_t kAeadTagBytes = 16;

std::string_view cipher_name(Cipher cipher);
// Parses crypto.cipher. aes256gcm on a CPU without AES-NI/PCLMUL is a
// kFailedPrecondition that says so and names the alternatives.
Result<Cipher> cipher_from_name(std::string_view name);
// Whether this machine can run the cipher.
bool cipher_available(Cipher cipher);
// Bit (1 << id) for every cipher this machine can run.
std::uint8_t available_cipher_mask();

// Appends the ciphertext+tag of `plaintext` to *out (cleared first).
void aead_seal(Cipher cipher, const Key32& key, std::uint32_t epoch, std::uint64_t counter,
               ByteView ad, ByteView plaintext, Bytes* out);
// Decrypts `ciphertext` (with tag) into *out; false when authentication fails.
bool aead_open(Cipher cipher, const Key32& key, std::uint32_t epoch, std::uint64_t counter,
               ByteView ad, ByteView ciphertext, Bytes* out);

}  // namespace synod::crypto
