#include "crypto/key_exchange.h"

#include <sodium.h>

#include <cstring>

namespace synod::crypto {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "synod-hs";
constexpr std::string_view kTranscriptLabel = "synod handshake v1";
constexpr std::size_t kMaxNameBytes = 255;

// Sub-key ids of crypto_kdf_derive_from_key under the session secret.
enum SubKey : std::uint64_t {
  kInitiatorToResponder = 1,
  kResponderToInitiator = 2,
  kConfirmInitiator = 3,
  kConfirmResponder = 4,
  kChainInitiatorToResponder = 5,
  kChainResponderToInitiator = 6,
};

struct Hello {
  std::uint8_t version = 0;
  std::uint64_t node_id = 0;
  std::string cluster_name;
  std::string advertise_address;
  Key32 static_key;
  Key32 ephemeral_key;
  std::vector<KeyId> key_ids;  // primary first
  std::uint8_t cipher = 0;
  std::uint8_t cipher_mask = 0;
  std::uint8_t codec = 0;
  std::uint8_t codec_mask = 0;
};

void put_short_string(Bytes& out, std::string_view s) {
  put_u8(out, static_cast<std::uint8_t>(s.size()));
  out.append(s);
}

Bytes encode_hello(const Hello& h) {
  Bytes out;
  put_u8(out, h.version);
  put_u64(out, h.node_id);
  put_short_string(out, h.cluster_name);
  put_short_string(out, h.advertise_address);
  out.append(h.static_key.view());
  out.append(h.ephemeral_key.view());
  put_u8(out, static_cast<std::uint8_t>(h.key_ids.size()));
  for (const KeyId& id : h.key_ids) out.append(reinterpret_cast<const char*>(id.data()), id.size());
  put_u8(out, h.cipher);
  put_u8(out, h.cipher_mask);
  put_u8(out, h.codec);
  put_u8(out, h.codec_mask);
  return out;
}

bool read_key(ByteReader& r, Key32& key) {
  auto raw = r.raw(kKeyBytes);
  if (!raw) return false;
  std::memcpy(key.data(), raw->data(), kKeyBytes);
  return true;
}

bool read_short_string(ByteReader& r, std::string& out) {
  auto n = r.u8();
  if (!n) return false;
  auto raw = r.raw(*n);
  if (!raw) return false;
  out.assign(raw->data(), raw->size());
  return true;
}

// Exact layout or nothing: trailing bytes are malformed too.
std::optional<Hello> decode_hello(ByteView payload) {
  ByteReader r(payload);
  Hello h;
  auto version = r.u8();
  auto id = r.u64();
  if (!version || !id) return std::nullopt;
  h.version = *version;
  h.node_id = *id;
  if (!read_short_string(r, h.cluster_name) || !read_short_string(r, h.advertise_address) ||
      !read_key(r, h.static_key) || !read_key(r, h.ephemeral_key)) {
    return std::nullopt;
  }
  auto count = r.u8();
  if (!count || *count == 0) return std::nullopt;
  for (std::uint8_t k = 0; k < *count; ++k) {
    auto raw = r.raw(sizeof(KeyId));
    if (!raw) return std::nullopt;
    KeyId id;
    std::memcpy(id.data(), raw->data(), id.size());
    h.key_ids.push_back(id);
  }
  auto cipher = r.u8();
  auto cipher_mask = r.u8();
  auto codec = r.u8();
  auto codec_mask = r.u8();
  if (!cipher || !cipher_mask || !codec || !codec_mask || r.remaining() != 0) {
    return std::nullopt;
  }
  h.cipher = *cipher;
  h.cipher_mask = *cipher_mask;
  h.codec = *codec;
  h.codec_mask = *codec_mask;
  return h;
}

Key32 transcript_hash(ByteView initiator_hello, ByteView responder_hello) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kKeyBytes);
  auto absorb = [&](ByteView v) {
    Bytes len;
    put_u32(len, static_cast<std::uint32_t>(v.size()));
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(len.data()), len.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(v.data()), v.size());
  };
  absorb(kTranscriptLabel);
  absorb(initiator_hello);
  absorb(responder_hello);
  Key32 out;
  crypto_generichash_final(&st, out.data(), kKeyBytes);
  return out;
}

Key32 derive(const Key32& master, SubKey id) {
  Key32 out;
  crypto_kdf_derive_from_key(out.data(), kKeyBytes, id, kKdfContext, master.data());
  return out;
}

Key32 finish_mac(const Key32& confirm_key, const Key32& transcript) {
  Key32 mac;
  crypto_generichash(mac.data(), kKeyBytes, transcript.data(), kKeyBytes, confirm_key.data(),
                     kKeyBytes);
  return mac;
}

}  // namespace

KeyExchange::KeyExchange(ExchangeParams params) : params_(std::move(params)) {
  ensure_sodium();
  if (params_.ephemeral_seed) {
    crypto_kx_seed_keypair(ephemeral_public_.data(), ephemeral_secret_.data(),
                           params_.ephemeral_seed->data());
  } else {
    crypto_kx_keypair(ephemeral_public_.data(), ephemeral_secret_.data());
  }
}

KeyExchange::~KeyExchange() { wipe(own_hello_); }

Status KeyExchange::fail(std::string_view reason, Status status) {
  failure_reason_ = reason;
  return status;
}

Status KeyExchange::start(std::vector<HandshakeMessage>& send) {
  if (!params_.node_key || !params_.keyring || params_.keyring->empty()) {
    return fail("no_key", failed_precondition("no node key or cluster key loaded"));
  }
  Hello h;
  h.version = kExchangeVersion;
  h.node_id = params_.self_id;
  h.cluster_name = params_.cluster_name.substr(0, kMaxNameBytes);
  h.advertise_address = params_.advertise_address.substr(0, kMaxNameBytes);
  h.static_key = params_.node_key->public_key;
  h.ephemeral_key = ephemeral_public_;
  // Primary first, then every other installed key (at most 255).
  h.key_ids.push_back(key_id(params_.keyring->primary()));
  for (const Key32& k : params_.keyring->keys()) {
    if (h.key_ids.size() < 255 && !k.equals(params_.keyring->primary())) {
      h.key_ids.push_back(key_id(k));
    }
  }
  own_key_ids_ = h.key_ids;
  h.cipher = static_cast<std::uint8_t>(params_.cipher);
  h.cipher_mask = params_.cipher_mask != 0 ? params_.cipher_mask : available_cipher_mask();
  h.codec = params_.codec;
  h.codec_mask = params_.codec_mask;
  own_hello_ = encode_hello(h);
  send.push_back({kHelloMessage, own_hello_});
  return Status::ok();
}

Status KeyExchange::on_message(std::uint16_t type, ByteView payload,
                               std::vector<HandshakeMessage>& send) {
  if (done_) return fail("unexpected_frame", invalid_argument("handshake message after the end"));
  if (own_hello_.empty()) return fail("unexpected_frame", invalid_argument("not started"));
  if (type == kHelloMessage && !hello_received_) return on_hello(payload, send);
  if (type == kFinishMessage && hello_received_) return on_finish(payload);
  return fail("unexpected_frame", invalid_argument("unexpected handshake message type " +
                                                   std::to_string(type)));
}

Status KeyExchange::on_hello(ByteView payload, std::vector<HandshakeMessage>& send) {
  std::optional<Hello> peer = decode_hello(payload);
  if (!peer) return fail("malformed", invalid_argument("secure handshake hello is malformed"));
  if (peer->version != kExchangeVersion) {
    return fail("version", unimplemented("peer speaks secure handshake version " +
                                         std::to_string(peer->version) + ", this node " +
                                         std::to_string(kExchangeVersion)));
  }
  if (peer->cluster_name != params_.cluster_name.substr(0, kMaxNameBytes)) {
    return fail("wrong_cluster", permission_denied("peer belongs to cluster '" +
                                                   peer->cluster_name + "', this node to '" +
                                                   params_.cluster_name + "'"));
  }
  if (peer->node_id == 0) return fail("malformed", invalid_argument("peer hello has node id 0"));
  if (peer->node_id == params_.self_id) {
    return fail("duplicate_id", already_exists("peer claims this node's own id " +
                                               std::to_string(peer->node_id)));
  }
  if (params_.expected_peer != 0 && peer->node_id != params_.expected_peer) {
    return fail("unexpected_peer",
                failed_precondition("dialled node " + std::to_string(params_.expected_peer) +
                                    " but node " + std::to_string(peer->node_id) + " answered"));
  }
  if (!params_.allowed_peers.empty()) {
    bool allowed = false;
    for (const Key32& k : params_.allowed_peers) allowed = allowed || k.equals(peer->static_key);
    if (!allowed) {
      return fail("not_allowed",
                  permission_denied("node " + std::to_string(peer->node_id) + " public key " +
                                    base64_encode(peer->static_key.view()) +
                                    " is not in crypto.allowed_peers"));
    }
  }
  // The session uses the first key of the initiator's list (its primary,
  // then its other keys) that the responder also holds, so a node that
  // switched primary still reaches one that has not applied the switch yet.
  const std::vector<KeyId>& initiator_ids = params_.initiator ? own_key_ids_ : peer->key_ids;
  const std::vector<KeyId>& responder_ids = params_.initiator ? peer->key_ids : own_key_ids_;
  const Key32* cluster_key = nullptr;
  for (const KeyId& id : initiator_ids) {
    bool shared = false;
    for (const KeyId& other : responder_ids) shared = shared || other == id;
    if (shared) {
      cluster_key = params_.keyring->find(id);
      break;
    }
  }
  if (cluster_key == nullptr) {
    return fail("unknown_key",
                permission_denied("peer node " + std::to_string(peer->node_id) +
                                  " shares no cluster key with this node's keyring"));
  }
  // The initiator's cipher governs the session.
  std::uint8_t cipher_id;
  if (params_.initiator) {
    cipher_id = static_cast<std::uint8_t>(params_.cipher);
    if ((peer->cipher_mask & (1u << cipher_id)) == 0) {
      return fail("cipher", failed_precondition("peer cannot run cipher " +
                                                std::string(cipher_name(params_.cipher))));
    }
  } else {
    cipher_id = peer->cipher;
    if (cipher_id < 1 || cipher_id > 3 || !cipher_available(static_cast<Cipher>(cipher_id))) {
      return fail("cipher", failed_precondition("peer asks for cipher id " +
                                                std::to_string(cipher_id) +
                                                " which this node cannot run"));
    }
  }
  hello_received_ = true;

  // Ephemeral-ephemeral through crypto_kx; both sides lay the two keys out
  // as (initiator->responder, responder->initiator).
  Key32 ee_rx, ee_tx;
  const Key32& peer_e = peer->ephemeral_key;
  int rc;
  if (params_.initiator) {
    rc = crypto_kx_client_session_keys(ee_rx.data(), ee_tx.data(), ephemeral_public_.data(),
                                       ephemeral_secret_.data(), peer_e.data());
  } else {
    rc = crypto_kx_server_session_keys(ee_rx.data(), ee_tx.data(), ephemeral_public_.data(),
                                       ephemeral_secret_.data(), peer_e.data());
  }
  // es = DH(initiator ephemeral, responder static); se = DH(initiator static,
  // responder ephemeral): each side computes both from its own secrets.
  Key32 es, se;
  if (rc == 0) {
    if (params_.initiator) {
      rc |= crypto_scalarmult(es.data(), ephemeral_secret_.data(), peer->static_key.data());
      rc |= crypto_scalarmult(se.data(), params_.node_key->secret_key.data(), peer_e.data());
    } else {
      rc |= crypto_scalarmult(es.data(), params_.node_key->secret_key.data(), peer_e.data());
      rc |= crypto_scalarmult(se.data(), ephemeral_secret_.data(), peer->static_key.data());
    }
  }
  if (rc != 0) return fail("malformed", invalid_argument("peer sent a weak public key"));

  Bytes peer_hello(payload);
  keys_.transcript = params_.initiator ? transcript_hash(own_hello_, peer_hello)
                                       : transcript_hash(peer_hello, own_hello_);
  const Key32& i_to_r = params_.initiator ? ee_tx : ee_rx;
  const Key32& r_to_i = params_.initiator ? ee_rx : ee_tx;
  Bytes ikm;
  ikm.append(i_to_r.view());
  ikm.append(r_to_i.view());
  ikm.append(es.view());
  ikm.append(se.view());
  ikm.append(keys_.transcript.view());
  Key32 master;
  crypto_generichash(master.data(), kKeyBytes, reinterpret_cast<const unsigned char*>(ikm.data()),
                     ikm.size(), cluster_key->data(), kKeyBytes);
  wipe(ikm);

  const bool i = params_.initiator;
  keys_.cipher = static_cast<Cipher>(cipher_id);
  keys_.send_key = derive(master, i ? kInitiatorToResponder : kResponderToInitiator);
  keys_.receive_key = derive(master, i ? kResponderToInitiator : kInitiatorToResponder);
  keys_.send_chain = derive(master, i ? kChainInitiatorToResponder : kChainResponderToInitiator);
  keys_.receive_chain =
      derive(master, i ? kChainResponderToInitiator : kChainInitiatorToResponder);
  const Key32 confirm_self = derive(master, i ? kConfirmInitiator : kConfirmResponder);
  confirm_peer_ = derive(master, i ? kConfirmResponder : kConfirmInitiator);
  keys_.peer_id = peer->node_id;
  keys_.peer_address = peer->advertise_address;
  keys_.peer_static = peer->static_key;
  keys_.send_codec =
      (peer->codec_mask & (1u << (params_.codec & 7))) != 0 ? params_.codec : std::uint8_t{0};

  const Key32 mac = finish_mac(confirm_self, keys_.transcript);
  send.push_back({kFinishMessage, Bytes(mac.view())});
  return Status::ok();
}

Status KeyExchange::on_finish(ByteView payload) {
  if (payload.size() != kKeyBytes) {
    return fail("malformed", invalid_argument("secure handshake finish has the wrong size"));
  }
  const Key32 expected = finish_mac(confirm_peer_, keys_.transcript);
  if (sodium_memcmp(expected.data(), payload.data(), kKeyBytes) != 0) {
    return fail("bad_auth",
                permission_denied("peer node " + std::to_string(keys_.peer_id) +
                                  " failed authentication: it does not hold this cluster key "
                                  "or the secret of the static key it presented"));
  }
  done_ = true;
  return Status::ok();
}

}  // namespace synod::crypto
