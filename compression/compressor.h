// The channel's compression policy: which payloads to compress, with what.
//
// - Payloads of at most min_bytes are sent as-is (codec none).
// - A payload whose encoding is not smaller than the original is sent as-is.
// - Adaptive mode keeps, per (peer, message type), an EWMA of
//   compressed/original. While it is above poor_ratio the payload is sent
//   as-is; every reprobe_every-th skipped payload is compressed again as a
//   probe, and a probe's ratio replaces the EWMA so one good probe turns
//   compression back on.
// compress() returns the codec id actually used, for the frame header;
// decompress() accepts any codec id a peer may send. Thread-safe.
//
// Metrics (common/metrics.h, registry passed in or global):
//   synod_compression_bytes_in_total{codec}        payload bytes before encoding
//   synod_compression_bytes_out_total{codec}       bytes after encoding
//   synod_compression_skipped_total{reason}        small | adaptive | incompressible
//   synod_compression_decompress_errors_total{codec,reason}  malformed | bomb | unknown_codec
//   synod_compression_dictionary_frames_total{direction}  zstd frames sent | received with a
//                                                         shared dictionary
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "common/bytes.h"
#include "common/metrics.h"
#include "common/status.h"
#include "compression/codec.h"

namespace synod::compression {

struct CompressorOptions {
  CodecId codec = CodecId::kLz4;                       // compression.codec
  std::uint64_t min_bytes = 256;                       // compression.min_bytes
  std::int32_t zstd_level = 3;                         // compression.zstd_level
  bool adaptive = true;                                // compression.adaptive
  std::uint64_t max_decompressed_bytes = 64ull << 20;  // compression.max_decompressed_bytes
  double poor_ratio = 0.9;           // EWMA of compressed/original above this skips compression
  double ewma_alpha = 0.25;          // weight of the newest sample
  std::uint32_t reprobe_every = 32;  // while skipping, compress every Nth payload as a probe
};

class Compressor {
 public:
  explicit Compressor(CompressorOptions options,
                      metrics::Registry* registry = &metrics::Registry::global());

  // Encodes `in` for (peer, message type) into *out; returns the codec used
  // (kNone means *out holds `in` unchanged). zstd uses the current dictionary
  // only when `peer_dictionary` (the dictionary id the peer said it can
  // decode, 0: none) equals it; otherwise plain zstd.
  Result<CodecId> compress(std::uint64_t peer, std::uint32_t msg_type, ByteView in, Bytes* out,
                           std::uint32_t peer_dictionary = 0);

  // Decodes a payload that arrived with wire codec id `wire_codec`, bounded
  // by max_decompressed_bytes. kInvalidArgument for an unknown id or a
  // malformed payload, kResourceExhausted for a bomb.
  Status decompress(std::uint8_t wire_codec, ByteView in, Bytes* out);

  // Installs a trained dictionary (train_zstd_dictionary; the node
  // distributes it through consensus) as the current one. Decoding accepts
  // frames made with it, with the one it replaces (frames in flight) or with
  // none; any other dictionary id is kInvalidArgument ("unknown dictionary id").
  Status set_zstd_dictionary(ByteView dictionary);
  // The current dictionary's id (0: none); what this node tells its peers.
  [[nodiscard]] std::uint32_t zstd_dictionary() const;

  // The current EWMA ratio of (peer, type); 0 when nothing was measured yet.
  [[nodiscard]] double ratio(std::uint64_t peer, std::uint32_t msg_type) const;
  // Whether the next payload over min_bytes for (peer, type) would be compressed
  // (not counting re-probes).
  [[nodiscard]] bool enabled(std::uint64_t peer, std::uint32_t msg_type) const;

  [[nodiscard]] const CompressorOptions& options() const { return options_; }

 private:
  struct Stream {
    double ewma = 0;
    bool measured = false;
    std::uint32_t skipped = 0;
  };
  using Key = std::pair<std::uint64_t, std::uint32_t>;

  struct CodecMetrics {
    metrics::Counter* bytes_in = nullptr;
    metrics::Counter* bytes_out = nullptr;
    metrics::Counter* malformed = nullptr;
    metrics::Counter* bomb = nullptr;
  };

  [[nodiscard]] bool poor(const Stream& s) const {
    return s.measured && s.ewma > options_.poor_ratio;
  }

  CompressorOptions options_;
  // The zstd codec for dictionary id `dict_id` (0: plain); nullptr when
  // that dictionary is neither the current nor the previous one.
  std::shared_ptr<const Codec> zstd_codec(std::uint32_t dict_id) const;

  std::array<std::shared_ptr<const Codec>, kMaxCodecId + 1> codecs_;  // plain codecs
  std::shared_ptr<const Codec> zstd_current_;                         // under mu_
  // Written under mu_; read without it on every frame (zstd_dictionary()).
  std::atomic<std::uint32_t> current_zstd_id_{0};
  std::shared_ptr<const Codec> zstd_previous_;                        // under mu_
  std::uint32_t zstd_previous_id_ = 0;                                // under mu_
  std::array<CodecMetrics, kMaxCodecId + 1> metrics_;
  metrics::Counter* skipped_small_;
  metrics::Counter* skipped_adaptive_;
  metrics::Counter* skipped_incompressible_;
  metrics::Counter* unknown_codec_;
  metrics::Counter* dictionary_sent_;
  metrics::Counter* dictionary_received_;

  mutable std::mutex mu_;
  std::map<Key, Stream> streams_;
};

}  // namespace synod::compression
