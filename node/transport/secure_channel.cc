#include "node/transport/secure_channel.h"

#include <spdlog/spdlog.h>

#include "common/metrics.h"

namespace synod::node::transport {
namespace {

crypto::FrameMeta to_meta(const FrameHeader& header) {
  crypto::FrameMeta meta;
  meta.version = header.version;
  meta.flags = header.flags;
  meta.type = to_wire(header.type);
  meta.codec = header.codec_id;
  meta.epoch = header.key_epoch;
  meta.counter = header.counter;
  return meta;
}

void from_meta(const crypto::FrameMeta& meta, FrameHeader& header) {
  header.flags = meta.flags;
  header.codec_id = meta.codec;
  header.key_epoch = meta.epoch;
  header.counter = meta.counter;
}

metrics::Counter& frame_rejections(std::string_view reason) {
  return metrics::Registry::global().counter(
      "synod_crypto_frame_rejections_total",
      "Sealed peer frames refused (connection closed), by reason", {{"reason", std::string(reason)}});
}

metrics::Counter& rekeys() {
  return metrics::Registry::global().counter("synod_crypto_rekeys_total",
                                             "Send-key rotations completed on peer channels");
}

}  // namespace

SecureSealer::SecureSealer(crypto::Channel channel,
                           std::shared_ptr<compression::Compressor> compressor,
                           std::uint64_t peer)
    : channel_(std::move(channel)), compressor_(std::move(compressor)), peer_(peer) {
  name_ = std::string(crypto::cipher_name(channel_.cipher()));
  const std::uint8_t codec = compressor_ ? channel_.send_codec() : 0;
  if (codec != 0) {
    name_ += "+" + std::string(compression::codec_name(static_cast<compression::CodecId>(codec)));
  }
}

Status SecureSealer::reject(std::string_view reason, const Status& status) {
  frame_rejections(reason).inc();
  return Status(status.code(), std::string(reason) + ": " + status.message());
}

Status SecureSealer::seal(FrameHeader& header, Bytes& payload) {
  crypto::FrameMeta meta = to_meta(header);
  meta.codec = 0;
  if (compressor_ && channel_.send_codec() != 0 && is_application_type(header.type)) {
    auto codec = compressor_->compress(peer_, meta.type, payload, &scratch_, peer_dictionary_);
    if (!codec.is_ok()) return codec.status();
    if (*codec != compression::CodecId::kNone) {
      payload.swap(scratch_);
      meta.codec = static_cast<std::uint8_t>(*codec);
    }
  }
  SYNOD_RETURN_IF_ERROR(channel_.seal(meta, payload));
  from_meta(meta, header);
  if (sink_ != nullptr) {
    if (auto offer = channel_.poll_rekey()) {
      sink_->send_control(static_cast<MessageType>(offer->type), std::move(offer->payload));
    }
    if (compressor_ && is_application_type(header.type)) {
      const std::uint32_t dictionary = compressor_->zstd_dictionary();
      if (dictionary != told_dictionary_) {
        told_dictionary_ = dictionary;
        Bytes tell;
        put_u32(tell, dictionary);
        sink_->send_control(static_cast<MessageType>(kDictionaryMessage), std::move(tell));
      }
    }
  }
  return Status::ok();
}

Status SecureSealer::open(FrameHeader& header, Bytes& payload) {
  crypto::FrameMeta meta = to_meta(header);
  Status status = channel_.open(meta, payload);
  if (!status.is_ok()) return reject(channel_.failure_reason(), status);
  if (meta.codec != 0) {
    if (!compressor_ || !compression::codec_id_from_wire(meta.codec).is_ok()) {
      return reject("unknown_codec",
                    invalid_argument("unknown codec id " + std::to_string(meta.codec)));
    }
    Status decoded = compressor_->decompress(meta.codec, payload, &scratch_);
    if (!decoded.is_ok()) {
      return reject(decoded.code() == StatusCode::kResourceExhausted ? "bomb" : "malformed",
                    decoded);
    }
    payload.swap(scratch_);
  }
  meta.codec = 0;
  from_meta(meta, header);
  return Status::ok();
}

Status SecureSealer::on_control(const FrameHeader& header, ByteView payload, ControlSink& sink) {
  if (to_wire(header.type) == kDictionaryMessage) {
    if (payload.size() != 4) {
      return reject("control", invalid_argument("malformed dictionary message"));
    }
    peer_dictionary_ = load_u32(payload.data());
    return Status::ok();
  }
  const std::uint32_t before = channel_.send_epoch();
  std::vector<crypto::HandshakeMessage> reply;
  Status status = channel_.on_control(to_wire(header.type), payload, reply);
  if (!status.is_ok()) return reject("control", status);
  if (channel_.send_epoch() != before) rekeys().inc();
  for (auto& message : reply) {
    sink.send_control(static_cast<MessageType>(message.type), std::move(message.payload));
  }
  return Status::ok();
}

namespace {

crypto::ExchangeParams exchange_params(const HandshakeContext& context,
                                       const SecureChannelSettings& settings) {
  crypto::ExchangeParams params;
  params.self_id = context.self.value();
  params.cluster_name = context.cluster_name;
  params.advertise_address = context.advertise_address;
  params.initiator = context.initiator;
  params.expected_peer = context.expected_peer.value();
  params.node_key = settings.node_key;
  params.keyring = settings.keyring ? settings.keyring->snapshot() : nullptr;
  params.cipher = settings.cipher;
  params.codec = settings.compressor
                     ? static_cast<std::uint8_t>(settings.compressor->options().codec)
                     : std::uint8_t{0};
  params.codec_mask = settings.compressor ? 0x1F : 0x01;
  params.allowed_peers = settings.allowed_peers;
  if (settings.ephemeral_seed) params.ephemeral_seed = settings.ephemeral_seed();
  return params;
}

}  // namespace

SecureHandshake::SecureHandshake(const HandshakeContext& context,
                                 const SecureChannelSettings& settings)
    : settings_(settings), exchange_(exchange_params(context, settings)) {}

void SecureHandshake::append(std::vector<crypto::HandshakeMessage>& messages,
                             std::vector<Frame>& send) {
  for (auto& message : messages) {
    Frame frame;
    frame.header.type = static_cast<MessageType>(message.type);
    frame.payload = std::move(message.payload);
    send.push_back(std::move(frame));
  }
}

Status SecureHandshake::start(std::vector<Frame>& send) {
  std::vector<crypto::HandshakeMessage> messages;
  SYNOD_RETURN_IF_ERROR(exchange_.start(messages));
  append(messages, send);
  return Status::ok();
}

Status SecureHandshake::on_frame(const Frame& frame, std::vector<Frame>& send) {
  std::vector<crypto::HandshakeMessage> messages;
  SYNOD_RETURN_IF_ERROR(exchange_.on_message(to_wire(frame.header.type), frame.payload, messages));
  append(messages, send);
  return Status::ok();
}

std::unique_ptr<Handshake> SecureHandshakeFactory::create(const HandshakeContext& context) {
  if (settings_.keyring) {
    auto reloaded = settings_.keyring->reload_if_changed();
    if (!reloaded.is_ok()) {
      spdlog::warn("crypto: keeping the current keyring: {}", reloaded.status().message());
    } else if (*reloaded) {
      spdlog::info("crypto: keyring reloaded ({} keys)",
                   settings_.keyring->snapshot()->keys().size());
    }
  }
  return std::make_unique<SecureHandshake>(context, settings_);
}

HandshakeOutcome SecureHandshake::take_outcome() {
  const crypto::SessionKeys& keys = exchange_.keys();
  HandshakeOutcome outcome;
  outcome.peer = NodeId(keys.peer_id);
  outcome.peer_address = keys.peer_address;
  outcome.sealer = std::make_unique<SecureSealer>(crypto::Channel(keys, settings_.channel),
                                                  settings_.compressor, keys.peer_id);
  return outcome;
}

}  // namespace synod::node::transport
