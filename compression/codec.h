// Payload codecs for peer channels: none, lz4, zstd, snappy and gzip.
//
// Each codec has a stable one-byte id carried in the frame header so a
// receiver decodes whatever the sender chose. Decoders treat their input as
// untrusted (a peer's frame): garbage, truncated input or a declared size over
// the cap come back as a Status, never a crash or an unbounded allocation.
//
// Errors from decompress():
//   kInvalidArgument    malformed, truncated or trailing-garbage input
//   kResourceExhausted  the output would exceed max_out (a decompression bomb)
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::compression {

// Wire ids: never renumber, only append.
enum class CodecId : std::uint8_t {
  kNone = 0,
  kLz4 = 1,
  kZstd = 2,
  kSnappy = 3,
  kGzip = 4,
};

inline constexpr std::uint8_t kMaxCodecId = 4;

// "none", "lz4", "zstd", "snappy", "gzip" (the names of config compression.codec).
std::string_view codec_name(CodecId id);
// Parses a config name; kInvalidArgument naming the accepted values otherwise.
Result<CodecId> codec_id_from_name(std::string_view name);
// Validates a wire byte; kInvalidArgument "unknown codec id N" otherwise.
Result<CodecId> codec_id_from_wire(std::uint8_t wire);

struct CodecOptions {
  std::int32_t zstd_level = 3;  // clamped to zstd's supported range
  std::int32_t gzip_level = 6;  // zlib level 1..9
};

class Codec {
 public:
  virtual ~Codec() = default;

  [[nodiscard]] virtual CodecId id() const = 0;
  [[nodiscard]] std::string_view name() const { return codec_name(id()); }

  // Replaces *out with the encoding of `in`. Fails only on internal errors.
  virtual Status compress(ByteView in, Bytes* out) const = 0;

  // Replaces *out with the decoding of `in`, producing at most max_out bytes.
  // On error *out is unspecified.
  virtual Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const = 0;
};

// Codec objects are stateless and safe to share between threads.
std::unique_ptr<Codec> make_codec(CodecId id, const CodecOptions& options = {});
Result<std::unique_ptr<Codec>> make_codec(std::string_view name, const CodecOptions& options = {});

// Trains a zstd dictionary of at most max_size bytes from sample payloads
// (e.g. recent log entries) with ZDICT. kFailedPrecondition when the samples
// are too few or too small to train on.
Result<Bytes> train_zstd_dictionary(const std::vector<Bytes>& samples,
                                    std::size_t max_size = 16 * 1024);

// A zstd codec (wire id kZstd) that compresses with `dictionary` and decodes
// frames made with that dictionary or with none. A frame naming another
// dictionary id is rejected with kInvalidArgument. The dictionary id is in
// each frame header, so senders and receivers must load the same dictionary
// before it is used (the node distributes it through consensus).
Result<std::unique_ptr<Codec>> make_zstd_dict_codec(ByteView dictionary,
                                                    const CodecOptions& options = {});

// The dictionary id a zstd frame header names (0: none or not a zstd frame),
// and the id of a dictionary (0: a raw-content dictionary without an id).
std::uint32_t zstd_frame_dictionary_id(ByteView frame);
std::uint32_t zstd_dictionary_id(ByteView dictionary);

}  // namespace synod::compression
