#include "crypto/channel.h"

#include <sodium.h>

#include <cstring>

namespace synod::crypto {
namespace {

constexpr std::size_t kRekeyPayloadBytes = 4 + kKeyBytes;

// next key || next chain = BLAKE2b-512(key = chain, shared || offer || answer || epoch)
void ratchet(const Key32& chain, const Key32& shared, const Key32& offer, const Key32& answer,
             std::uint32_t epoch, Key32& next_key, Key32& next_chain) {
  unsigned char out[2 * kKeyBytes];
  crypto_generichash_state st;
  crypto_generichash_init(&st, chain.data(), kKeyBytes, sizeof(out));
  crypto_generichash_update(&st, shared.data(), kKeyBytes);
  crypto_generichash_update(&st, offer.data(), kKeyBytes);
  crypto_generichash_update(&st, answer.data(), kKeyBytes);
  Bytes e;
  put_u32(e, epoch);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(e.data()), e.size());
  crypto_generichash_final(&st, out, sizeof(out));
  std::memcpy(next_key.data(), out, kKeyBytes);
  std::memcpy(next_chain.data(), out + kKeyBytes, kKeyBytes);
  sodium_memzero(out, sizeof(out));
}

Bytes rekey_payload(std::uint32_t epoch, const Key32& public_key) {
  Bytes out;
  put_u32(out, epoch);
  out.append(public_key.view());
  return out;
}

bool parse_rekey(ByteView payload, std::uint32_t& epoch, Key32& public_key) {
  if (payload.size() != kRekeyPayloadBytes) return false;
  epoch = load_u32(payload.data());
  std::memcpy(public_key.data(), payload.data() + 4, kKeyBytes);
  return true;
}

}  // namespace

Bytes frame_associated_data(const FrameMeta& meta) {
  Bytes ad;
  ad.reserve(18);
  put_u8(ad, 'S');
  put_u8(ad, meta.version);
  put_u8(ad, meta.flags);
  put_u16(ad, meta.type);
  put_u8(ad, meta.codec);
  put_u32(ad, meta.epoch);
  put_u64(ad, meta.counter);
  return ad;
}

Channel::Channel(const SessionKeys& keys, ChannelOptions options)
    : cipher_(keys.cipher),
      send_codec_(keys.send_codec),
      options_(std::move(options)) {
  ensure_sodium();
  send_.epoch = 1;
  send_.key = keys.send_key;
  send_chain_ = keys.send_chain;
  receive_.epoch = 1;
  receive_.key = keys.receive_key;
  receive_chain_ = keys.receive_chain;
  epoch_started_ = now();
}

MonoTime Channel::now() const {
  return options_.clock != nullptr ? options_.clock->now() : SystemClock::instance().now();
}

Key32 Channel::fresh_ephemeral() {
  return options_.ephemeral_source ? options_.ephemeral_source() : random_key();
}

Status Channel::fail(std::string_view reason, Status status) {
  failure_reason_ = reason;
  return status;
}

Status Channel::seal(FrameMeta& meta, Bytes& payload) {
  meta.flags = static_cast<std::uint8_t>((meta.flags & 0x0F) | kSealedFlag);
  meta.epoch = send_.epoch;
  meta.counter = send_.next_counter++;
  aead_seal(cipher_, send_.key, meta.epoch, meta.counter, frame_associated_data(meta), payload,
            &scratch_);
  payload.swap(scratch_);
  bytes_this_epoch_ += payload.size();
  return Status::ok();
}

Status Channel::open(FrameMeta& meta, Bytes& payload) {
  SYNOD_RETURN_IF_ERROR(open_frame(meta, payload));
  meta.flags &= 0x0F;
  return Status::ok();
}

Status Channel::open_frame(const FrameMeta& meta, Bytes& payload) {
  if ((meta.flags & 0xF0) != kSealedFlag) {
    return fail("unsealed", permission_denied("frame is not sealed on an encrypted channel"));
  }
  if (payload.size() < kAeadTagBytes) {
    return fail("truncated", invalid_argument("sealed payload shorter than its tag"));
  }
  // Grace for the previous epoch ends by time, checked on every frame.
  if (previous_ && now() >= previous_expiry_) previous_.reset();
  if (meta.epoch == receive_.epoch) return open_with(receive_, meta, payload);
  if (pending_ && meta.epoch == pending_->epoch) {
    SYNOD_RETURN_IF_ERROR(open_with(*pending_, meta, payload));
    previous_ = std::move(receive_);
    previous_expiry_ = now() + options_.rekey_grace;
    receive_ = std::move(*pending_);
    receive_chain_ = pending_chain_;
    pending_.reset();
    return Status::ok();
  }
  if (previous_ && meta.epoch == previous_->epoch) return open_with(*previous_, meta, payload);
  return fail("unknown_epoch", permission_denied("frame names key epoch " +
                                                 std::to_string(meta.epoch) + "; current is " +
                                                 std::to_string(receive_.epoch)));
}

Status Channel::open_with(Epoch& epoch, const FrameMeta& meta, Bytes& payload) {
  if (meta.counter < epoch.next_counter) {
    return fail("replay", permission_denied("replayed frame: counter " +
                                            std::to_string(meta.counter) + " already seen"));
  }
  if (meta.counter > epoch.next_counter) {
    return fail("reorder", permission_denied("frame counter " + std::to_string(meta.counter) +
                                             ", expected " +
                                             std::to_string(epoch.next_counter)));
  }
  if (!aead_open(cipher_, epoch.key, meta.epoch, meta.counter, frame_associated_data(meta),
                 payload, &scratch_)) {
    return fail("forged", permission_denied("frame failed authentication"));
  }
  ++epoch.next_counter;
  payload.swap(scratch_);
  return Status::ok();
}

std::optional<HandshakeMessage> Channel::poll_rekey() {
  if (rekey_in_flight_) return std::nullopt;
  const bool due = bytes_this_epoch_ >= options_.rekey_bytes ||
                   now() - epoch_started_ >= options_.rekey_interval;
  if (!due) return std::nullopt;
  rekey_in_flight_ = true;
  rekey_secret_ = fresh_ephemeral();
  crypto_scalarmult_base(rekey_public_.data(), rekey_secret_.data());
  return HandshakeMessage{kRekeyMessage, rekey_payload(send_.epoch + 1, rekey_public_)};
}

Status Channel::on_control(std::uint16_t type, ByteView payload,
                           std::vector<HandshakeMessage>& reply) {
  std::uint32_t epoch = 0;
  Key32 peer_public;
  if (!parse_rekey(payload, epoch, peer_public)) {
    return fail("control", invalid_argument("malformed rekey message"));
  }
  Key32 shared;
  if (type == kRekeyMessage) {
    // The peer rolls its send direction (our receive direction).
    if (pending_ || epoch != receive_.epoch + 1) {
      return fail("control", invalid_argument("unexpected rekey to epoch " +
                                              std::to_string(epoch)));
    }
    const Key32 secret = fresh_ephemeral();
    Key32 answer;
    crypto_scalarmult_base(answer.data(), secret.data());
    if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0) {
      return fail("control", invalid_argument("rekey offers a weak public key"));
    }
    Epoch next;
    next.epoch = epoch;
    ratchet(receive_chain_, shared, peer_public, answer, epoch, next.key, pending_chain_);
    pending_ = std::move(next);
    reply.push_back({kRekeyAckMessage, rekey_payload(epoch, answer)});
    return Status::ok();
  }
  if (type == kRekeyAckMessage) {
    if (!rekey_in_flight_ || epoch != send_.epoch + 1) {
      return fail("control", invalid_argument("unexpected rekey answer for epoch " +
                                              std::to_string(epoch)));
    }
    if (crypto_scalarmult(shared.data(), rekey_secret_.data(), peer_public.data()) != 0) {
      return fail("control", invalid_argument("rekey answer has a weak public key"));
    }
    Epoch next;
    next.epoch = epoch;
    Key32 next_chain;
    ratchet(send_chain_, shared, rekey_public_, peer_public, epoch, next.key, next_chain);
    send_ = std::move(next);
    send_chain_ = next_chain;
    bytes_this_epoch_ = 0;
    epoch_started_ = now();
    rekey_in_flight_ = false;
    rekey_secret_ = Key32{};
    return Status::ok();
  }
  return fail("control", invalid_argument("unknown channel-control type " + std::to_string(type)));
}

}  // namespace synod::crypto
