// Fuzzes the secure handshake parser: a responder (and an initiator) fed one
// or two handshake messages of arbitrary bytes. Must never crash, hang or
// leak; every input either fails with a reason or (impossibly, without the
// keys) completes.
//   scripts/fuzz.sh   or   crypto_handshake_fuzz tests/fuzz/crypto/corpus/handshake
#include <cstddef>
#include <cstdint>

#include "crypto/key_exchange.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto ring = [] {
    crypto::Key32 k;
    k.bytes.fill(7);
    return std::make_shared<const crypto::Keyring>(k);
  }();
  static const auto node_key = std::make_shared<const crypto::NodeKey>(crypto::NodeKey::generate());
  if (size < 1) return 0;
  crypto::ExchangeParams p;
  p.self_id = 2;
  p.cluster_name = "test";
  p.initiator = (data[0] & 0x80) != 0;
  p.node_key = node_key;
  p.keyring = ring;
  crypto::Key32 seed;
  seed.bytes.fill(9);
  p.ephemeral_seed = seed;
  crypto::KeyExchange exchange(p);
  std::vector<crypto::HandshakeMessage> out;
  (void)exchange.start(out);
  // Split the rest into up to two messages at a length byte.
  ByteView rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = rest.empty() ? 0 : static_cast<std::uint8_t>(rest[0]) * 2;
  if (!rest.empty()) rest.remove_prefix(1);
  const std::uint16_t first_type = (data[0] & 1) ? crypto::kFinishMessage : crypto::kHelloMessage;
  if (split < rest.size()) {
    if (exchange.on_message(first_type, rest.substr(0, split), out).is_ok()) {
      (void)exchange.on_message(crypto::kFinishMessage, rest.substr(split), out);
    }
  } else {
    (void)exchange.on_message(first_type, rest, out);
  }
  return 0;
}
