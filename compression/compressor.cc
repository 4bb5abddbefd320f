#include "compression/compressor.h"

#include <string>

namespace synod::compression {

Compressor::Compressor(CompressorOptions options, metrics::Registry* registry) : options_(options) {
  CodecOptions codec_options;
  codec_options.zstd_level = options_.zstd_level;
  for (std::uint8_t i = 0; i <= kMaxCodecId; ++i) {
    auto id = static_cast<CodecId>(i);
    codecs_[i] = make_codec(id, codec_options);
    std::string name(codec_name(id));
    metrics_[i].bytes_in = &registry->counter("synod_compression_bytes_in_total",
                                              "Payload bytes given to a codec", {{"codec", name}});
    metrics_[i].bytes_out = &registry->counter("synod_compression_bytes_out_total",
                                               "Payload bytes after encoding", {{"codec", name}});
    metrics_[i].malformed = &registry->counter("synod_compression_decompress_errors_total",
                                               "Peer payloads that failed to decode",
                                               {{"codec", name}, {"reason", "malformed"}});
    metrics_[i].bomb = &registry->counter("synod_compression_decompress_errors_total",
                                          "Peer payloads that failed to decode",
                                          {{"codec", name}, {"reason", "bomb"}});
  }
  const char* skipped_help = "Payloads sent uncompressed, by reason";
  skipped_small_ =
      &registry->counter("synod_compression_skipped_total", skipped_help, {{"reason", "small"}});
  skipped_adaptive_ =
      &registry->counter("synod_compression_skipped_total", skipped_help, {{"reason", "adaptive"}});
  skipped_incompressible_ = &registry->counter("synod_compression_skipped_total", skipped_help,
                                               {{"reason", "incompressible"}});
  const char* dictionary_help = "zstd payloads encoded or decoded with a shared dictionary";
  dictionary_sent_ = &registry->counter("synod_compression_dictionary_frames_total",
                                        dictionary_help, {{"direction", "sent"}});
  dictionary_received_ = &registry->counter("synod_compression_dictionary_frames_total",
                                            dictionary_help, {{"direction", "received"}});
  unknown_codec_ = &registry->counter("synod_compression_decompress_errors_total",
                                      "Peer payloads that failed to decode",
                                      {{"codec", "unknown"}, {"reason", "unknown_codec"}});
}

Result<CodecId> Compressor::compress(std::uint64_t peer, std::uint32_t msg_type, ByteView in,
                                     Bytes* out, std::uint32_t peer_dictionary) {
  auto send_plain = [&](metrics::Counter* reason) -> Result<CodecId> {
    if (reason != nullptr) reason->inc();
    out->assign(in);
    return CodecId::kNone;
  };
  if (options_.codec == CodecId::kNone) return send_plain(nullptr);
  if (in.size() <= options_.min_bytes) return send_plain(skipped_small_);

  if (options_.adaptive) {
    std::lock_guard lock(mu_);
    Stream& s = streams_[{peer, msg_type}];
    if (poor(s)) {
      ++s.skipped;
      if (s.skipped < options_.reprobe_every) return send_plain(skipped_adaptive_);
      s.skipped = 0;  // this payload is a probe
    }
  }

  auto idx = static_cast<std::size_t>(options_.codec);
  std::shared_ptr<const Codec> encoder = codecs_[idx];
  if (options_.codec == CodecId::kZstd && peer_dictionary != 0 &&
      peer_dictionary == current_zstd_id_.load()) {
    // The dictionary only when both sides have the same one current.
    std::lock_guard lock(mu_);
    if (peer_dictionary == current_zstd_id_) encoder = zstd_current_;
  }
  SYNOD_RETURN_IF_ERROR(encoder->compress(in, out));
  if (encoder != codecs_[idx]) dictionary_sent_->inc();
  double sample = static_cast<double>(out->size()) / static_cast<double>(in.size());

  if (options_.adaptive) {
    std::lock_guard lock(mu_);
    Stream& s = streams_[{peer, msg_type}];
    bool probe = poor(s);
    if (!s.measured || probe) {
      s.ewma = sample;  // first measurement or fresh probe: trust it outright
      s.measured = true;
    } else {
      s.ewma = options_.ewma_alpha * sample + (1 - options_.ewma_alpha) * s.ewma;
    }
  }

  if (out->size() >= in.size()) return send_plain(skipped_incompressible_);
  metrics_[idx].bytes_in->inc(static_cast<double>(in.size()));
  metrics_[idx].bytes_out->inc(static_cast<double>(out->size()));
  return options_.codec;
}

Status Compressor::decompress(std::uint8_t wire_codec, ByteView in, Bytes* out) {
  auto id = codec_id_from_wire(wire_codec);
  if (!id.is_ok()) {
    unknown_codec_->inc();
    return id.status();
  }
  auto idx = static_cast<std::size_t>(*id);
  std::shared_ptr<const Codec> decoder = codecs_[idx];
  if (*id == CodecId::kZstd) {
    const std::uint32_t dict_id = zstd_frame_dictionary_id(in);
    if (dict_id != 0) {
      decoder = zstd_codec(dict_id);
      if (decoder) dictionary_received_->inc();
    }
    if (!decoder) {
      metrics_[idx].malformed->inc();
      return invalid_argument("zstd: malformed input: unknown dictionary id " +
                              std::to_string(dict_id));
    }
  }
  Status st = decoder->decompress(in, options_.max_decompressed_bytes, out);
  if (st.code() == StatusCode::kResourceExhausted) {
    metrics_[idx].bomb->inc();
  } else if (!st.is_ok()) {
    metrics_[idx].malformed->inc();
  }
  return st;
}

Status Compressor::set_zstd_dictionary(ByteView dictionary) {
  CodecOptions codec_options;
  codec_options.zstd_level = options_.zstd_level;
  SYNOD_ASSIGN_OR_RETURN(std::unique_ptr<Codec> next,
                         make_zstd_dict_codec(dictionary, codec_options));
  const std::uint32_t id = zstd_dictionary_id(dictionary);
  if (id == 0) return invalid_argument("zstd: a shared dictionary needs a non-zero dictionary id");
  std::lock_guard lock(mu_);
  if (id == current_zstd_id_) return Status::ok();  // already current
  if (current_zstd_id_ != 0) {
    zstd_previous_ = std::move(zstd_current_);
    zstd_previous_id_ = current_zstd_id_;
  }
  zstd_current_ = std::shared_ptr<const Codec>(std::move(next));
  current_zstd_id_ = id;
  return Status::ok();
}

std::uint32_t Compressor::zstd_dictionary() const { return current_zstd_id_.load(); }

std::shared_ptr<const Codec> Compressor::zstd_codec(std::uint32_t dict_id) const {
  if (dict_id == 0) return codecs_[static_cast<std::size_t>(CodecId::kZstd)];
  std::lock_guard lock(mu_);
  if (dict_id == current_zstd_id_) return zstd_current_;
  if (dict_id == zstd_previous_id_) return zstd_previous_;
  return nullptr;
}

double Compressor::ratio(std::uint64_t peer, std::uint32_t msg_type) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find({peer, msg_type});
  return it == streams_.end() ? 0.0 : it->second.ewma;
}

bool Compressor::enabled(std::uint64_t peer, std::uint32_t msg_type) const {
  if (options_.codec == CodecId::kNone) return false;
  if (!options_.adaptive) return true;
  std::lock_guard lock(mu_);
  auto it = streams_.find({peer, msg_type});
  return it == streams_.end() || !poor(it->second);
}

}  // namespace synod::compression
