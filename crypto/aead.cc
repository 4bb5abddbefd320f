#include "crypto/aead.h"

#include <sodium.h>

#include <array>

namespace synod::crypto {
namespace {

using Nonce = std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>;

Nonce make_nonce(std::uint32_t epoch, std::uint64_t counter) {
  Nonce nonce{};
  for (int i = 0; i < 4; ++i) nonce[i] = static_cast<unsigned char>(epoch >> (8 * i));
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<unsigned char>(counter >> (8 * i));
  return nonce;
}

const unsigned char* u(ByteView v) { return reinterpret_cast<const unsigned char*>(v.data()); }
unsigned char* u(Bytes* v) { return reinterpret_cast<unsigned char*>(v->data()); }

}  // namespace

std::string_view cipher_name(Cipher cipher) {
  switch (cipher) {
    case Cipher::kXChaCha20Poly1305: return "xchacha20poly1305";
    case Cipher::kChaCha20Poly1305: return "chacha20poly1305";
    case Cipher::kAes256Gcm: return "aes256gcm";
  }
  return "unknown";
}

bool cipher_available(Cipher cipher) {
  ensure_sodium();
  if (cipher == Cipher::kAes256Gcm) return crypto_aead_aes256gcm_is_available() != 0;
  return true;
}

std::uint8_t available_cipher_mask() {
  std::uint8_t mask = 0;
  for (Cipher c : {Cipher::kXChaCha20Poly1305, Cipher::kChaCha20Poly1305, Cipher::kAes256Gcm}) {
    if (cipher_available(c)) mask |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
  }
  return mask;
}

Result<Cipher> cipher_from_name(std::string_view name) {
  Cipher cipher;
  if (name == "xchacha20poly1305") {
    cipher = Cipher::kXChaCha20Poly1305;
  } else if (name == "chacha20poly1305") {
    cipher = Cipher::kChaCha20Poly1305;
  } else if (name == "aes256gcm") {
    cipher = Cipher::kAes256Gcm;
  } else {
    return invalid_argument("crypto.cipher '" + std::string(name) +
                            "' is not one of xchacha20poly1305, chacha20poly1305, aes256gcm");
  }
  if (!cipher_available(cipher)) {
    return failed_precondition(
        "crypto.cipher aes256gcm needs a CPU with AES-NI and PCLMUL, which this machine lacks; "
        "use xchacha20poly1305 (the default) or chacha20poly1305");
  }
  return cipher;
}

void aead_seal(Cipher cipher, const Key32& key, std::uint32_t epoch, std::uint64_t counter,
               ByteView ad, ByteView plaintext, Bytes* out) {
  const Nonce nonce = make_nonce(epoch, counter);
  out->resize(plaintext.size() + kAeadTagBytes);
  unsigned long long len = 0;
  switch (cipher) {
    case Cipher::kXChaCha20Poly1305:
      crypto_aead_xchacha20poly1305_ietf_encrypt(u(out), &len, u(plaintext), plaintext.size(),
                                                 u(ad), ad.size(), nullptr, nonce.data(),
                                                 key.data());
      break;
    case Cipher::kChaCha20Poly1305:
      crypto_aead_chacha20poly1305_ietf_encrypt(u(out), &len, u(plaintext), plaintext.size(),
                                                u(ad), ad.size(), nullptr, nonce.data(),
                                                key.data());
      break;
    case Cipher::kAes256Gcm:
      crypto_aead_aes256gcm_encrypt(u(out), &len, u(plaintext), plaintext.size(), u(ad),
                                    ad.size(), nullptr, nonce.data(), key.data());
      break;
  }
  out->resize(len);
}

bool aead_open(Cipher cipher, const Key32& key, std::uint32_t epoch, std::uint64_t counter,
               ByteView ad, ByteView ciphertext, Bytes* out) {
  if (ciphertext.size() < kAeadTagBytes) return false;
  const Nonce nonce = make_nonce(epoch, counter);
  out->resize(ciphertext.size() - kAeadTagBytes);
  unsigned long long len = 0;
  int rc = -1;
  switch (cipher) {
    case Cipher::kXChaCha20Poly1305:
      rc = crypto_aead_xchacha20poly1305_ietf_decrypt(u(out), &len, nullptr, u(ciphertext),
                                                      ciphertext.size(), u(ad), ad.size(),
                                                      nonce.data(), key.data());
      break;
    case Cipher::kChaCha20Poly1305:
      rc = crypto_aead_chacha20poly1305_ietf_decrypt(u(out), &len, nullptr, u(ciphertext),
                                                     ciphertext.size(), u(ad), ad.size(),
                                                     nonce.data(), key.data());
      break;
    case Cipher::kAes256Gcm:
      if (!cipher_available(cipher)) return false;
      rc = crypto_aead_aes256gcm_decrypt(u(out), &len, nullptr, u(ciphertext), ciphertext.size(),
                                         u(ad), ad.size(), nonce.data(), key.data());
      break;
  }
  if (rc != 0) return false;
  out->resize(len);
  return true;
}

}  // namespace synod::crypto
