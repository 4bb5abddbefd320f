#include "crypto/packet_box.h"

#include <sodium.h>

#include <cstring>

namespace synod::crypto {
namespace {

constexpr std::uint8_t kPacketVersion = 1;
constexpr std::size_t kHeader = 1 + sizeof(KeyId);
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

Key32 gossip_key(const Key32& cluster_key) {
  static constexpr std::string_view kLabel = "synod gossip packets v1";
  Key32 out;
  crypto_generichash(out.data(), kKeyBytes, reinterpret_cast<const unsigned char*>(kLabel.data()),
                     kLabel.size(), cluster_key.data(), kKeyBytes);
  return out;
}

const unsigned char* u(const char* p) { return reinterpret_cast<const unsigned char*>(p); }

}  // namespace

Result<Bytes> seal_packet(const Keyring& keyring, ByteView plaintext) {
  if (keyring.empty()) return failed_precondition("no cluster key to seal gossip packets with");
  ensure_sodium();
  const KeyId id = key_id(keyring.primary());
  const Key32 key = gossip_key(keyring.primary());
  Bytes out(kHeader + kNonce + plaintext.size() + kAeadTagBytes, '\0');
  out[0] = static_cast<char>(kPacketVersion);
  std::memcpy(out.data() + 1, id.data(), id.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + kHeader);
  randombytes_buf(nonce, kNonce);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data() + kHeader + kNonce), &len, u(plaintext.data()),
      plaintext.size(), u(out.data()), kHeader, nullptr, nonce, key.data());
  return out;
}

Result<Bytes> open_packet(const Keyring& keyring, ByteView sealed) {
  if (sealed.size() < kPacketOverhead) return invalid_argument("sealed packet too short");
  if (static_cast<std::uint8_t>(sealed[0]) != kPacketVersion) {
    return invalid_argument("unknown sealed packet version");
  }
  ensure_sodium();
  KeyId id;
  std::memcpy(id.data(), sealed.data() + 1, id.size());
  const Key32* cluster_key = keyring.find(id);
  if (cluster_key == nullptr) return permission_denied("packet sealed with an unknown cluster key");
  const Key32 key = gossip_key(*cluster_key);
  const std::size_t body = sealed.size() - kHeader - kNonce;
  Bytes out(body - kAeadTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          u(sealed.data() + kHeader + kNonce), body, u(sealed.data()), kHeader,
          u(sealed.data() + kHeader), key.data()) != 0) {
    return permission_denied("packet failed authentication");
  }
  out.resize(len);
  return out;
}

}  // namespace synod::crypto
