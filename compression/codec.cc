#include "compression/codec.h"

#include <lz4.h>
#include <snappy.h>
#include <zdict.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

namespace synod::compression {
namespace {

constexpr std::array<std::string_view, kMaxCodecId + 1> kNames = {"none", "lz4", "zstd", "snappy",
                                                                  "gzip"};

// Caps beyond this are treated as this, so "cap + 1" never overflows.
constexpr std::uint64_t kHardCap = std::numeric_limits<std::uint32_t>::max();

Status bomb(std::string_view codec, std::uint64_t size, std::uint64_t cap) {
  return resource_exhausted(std::string(codec) + ": decompressed size " +
                            (size == 0 ? std::string("over cap") : std::to_string(size)) +
                            " exceeds cap " + std::to_string(cap));
}

Status malformed(std::string_view codec, std::string_view why) {
  return invalid_argument(std::string(codec) + ": malformed input: " + std::string(why));
}

// Grows *out for a streaming decoder, keeping at most cap + 1 bytes so that
// producing more than cap is detected without allocating more than that.
// Returns false when the buffer is already at cap + 1.
bool grow(Bytes* out, std::uint64_t cap) {
  std::uint64_t limit = cap + 1;
  if (out->size() >= limit) return false;
  std::uint64_t next = std::max<std::uint64_t>(out->size() * 2, 1024);
  out->resize(static_cast<std::size_t>(std::min(next, limit)));
  return true;
}

class NoneCodec final : public Codec {
 public:
  [[nodiscard]] CodecId id() const override { return CodecId::kNone; }
  Status compress(ByteView in, Bytes* out) const override {
    out->assign(in);
    return Status::ok();
  }
  Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const override {
    if (in.size() > max_out) return bomb(name(), in.size(), max_out);
    out->assign(in);
    return Status::ok();
  }
};

// Format: u32 little-endian original size, then one LZ4 block.
class Lz4Codec final : public Codec {
 public:
  [[nodiscard]] CodecId id() const override { return CodecId::kLz4; }

  Status compress(ByteView in, Bytes* out) const override {
    if (in.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) {
      return invalid_argument("lz4: input too large");
    }
    int src_size = static_cast<int>(in.size());
    int bound = LZ4_compressBound(src_size);
    out->resize(4 + static_cast<std::size_t>(bound));
    std::uint32_t n = static_cast<std::uint32_t>(in.size());
    for (int i = 0; i < 4; ++i) (*out)[i] = static_cast<char>(n >> (8 * i));
    int written = LZ4_compress_default(in.data(), out->data() + 4, src_size, bound);
    if (written <= 0) return internal_error("lz4: compression failed");
    out->resize(4 + static_cast<std::size_t>(written));
    return Status::ok();
  }

  Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const override {
    if (in.size() < 4) return malformed(name(), "truncated size header");
    std::uint64_t declared = load_u32(in.data());
    if (declared > max_out) return bomb(name(), declared, max_out);
    ByteView body = in.substr(4);
    // LZ4 cannot expand a block by more than 255x; a larger claim is a lie
    // and must not make us allocate.
    if (declared > static_cast<std::uint64_t>(LZ4_MAX_INPUT_SIZE) ||
        declared > body.size() * 255ull + 16) {
      return malformed(name(), "declared size impossible for input length");
    }
    if (body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return malformed(name(), "input too large");
    }
    out->resize(static_cast<std::size_t>(declared));
    char dummy = 0;
    char* dst = declared == 0 ? &dummy : out->data();
    int got = LZ4_decompress_safe(body.data(), dst, static_cast<int>(body.size()),
                                  static_cast<int>(declared));
    if (got < 0) return malformed(name(), "corrupt block");
    if (static_cast<std::uint64_t>(got) != declared) {
      return malformed(name(), "block size differs from declared size");
    }
    return Status::ok();
  }
};

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Format: one or more standard zstd frames (content size recorded).
class ZstdCodec final : public Codec {
 public:
  explicit ZstdCodec(int level) : level_(std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel())) {}

  // Loads a dictionary (raw or ZDICT-trained) used for compression and for
  // frames that name its id.
  Status set_dictionary(ByteView dict) {
    cdict_.reset(ZSTD_createCDict(dict.data(), dict.size(), level_));
    ddict_.reset(ZSTD_createDDict(dict.data(), dict.size()));
    if (!cdict_ || !ddict_) return invalid_argument("zstd: cannot load dictionary");
    dict_id_ = ZSTD_getDictID_fromDDict(ddict_.get());
    return Status::ok();
  }

  [[nodiscard]] CodecId id() const override { return CodecId::kZstd; }

  Status compress(ByteView in, Bytes* out) const override {
    thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
    if (!cctx) return internal_error("zstd: cannot allocate context");
    out->resize(ZSTD_compressBound(in.size()));
    std::size_t n = cdict_ ? ZSTD_compress_usingCDict(cctx.get(), out->data(), out->size(),
                                                      in.data(), in.size(), cdict_.get())
                           : ZSTD_compressCCtx(cctx.get(), out->data(), out->size(), in.data(),
                                               in.size(), level_);
    if (ZSTD_isError(n)) return internal_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    out->resize(n);
    return Status::ok();
  }

  Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const override {
    thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
    if (!dctx) return internal_error("zstd: cannot allocate context");
    std::uint64_t cap = std::min(max_out, kHardCap);
    unsigned long long content = ZSTD_getFrameContentSize(in.data(), in.size());
    if (content == ZSTD_CONTENTSIZE_ERROR) return malformed(name(), "bad frame header");
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && content > cap) return bomb(name(), content, cap);
    unsigned frame_dict = ZSTD_getDictID_fromFrame(in.data(), in.size());
    if (frame_dict != 0 && frame_dict != dict_id_) {
      return malformed(name(), "unknown dictionary id " + std::to_string(frame_dict));
    }
    // The context is shared by every zstd codec of this thread: drop any
    // dictionary a previous call referenced, then reference ours.
    ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_and_parameters);
    if (ddict_) ZSTD_DCtx_refDDict(dctx.get(), ddict_.get());

    out->clear();
    std::size_t first_frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && !ZSTD_isError(first_frame) &&
        first_frame == in.size()) {
      // Fast path: sizes are known and within the cap; zstd verifies them.
      out->resize(static_cast<std::size_t>(content));
      char dummy = 0;
      char* dst = content == 0 ? &dummy : out->data();
      std::size_t n = ZSTD_decompressDCtx(dctx.get(), dst, out->size(), in.data(), in.size());
      if (ZSTD_isError(n)) return malformed(name(), ZSTD_getErrorName(n));
      if (n != content) return malformed(name(), "frame size differs from declared size");
      return Status::ok();
    }
    // Several frames, or a frame without its size: stream, growing the output
    // up to the cap.
    if (content != ZSTD_CONTENTSIZE_UNKNOWN) out->resize(static_cast<std::size_t>(content));
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    std::size_t written = 0;
    for (;;) {
      if (written == out->size() && !grow(out, cap)) return bomb(name(), 0, cap);
      ZSTD_outBuffer ob{out->data(), out->size(), written};
      std::size_t ret = ZSTD_decompressStream(dctx.get(), &ob, &ib);
      written = ob.pos;
      if (ZSTD_isError(ret)) {
        return malformed(name(), ZSTD_getErrorName(ret));
      }
      if (written > cap) return bomb(name(), 0, cap);
      bool input_done = ib.pos == ib.size;
      if (ret == 0 && input_done) break;  // last frame complete
      if (input_done && ob.pos < ob.size) return malformed(name(), "truncated frame");
    }
    out->resize(written);
    return Status::ok();
  }

 private:
  struct CDictDeleter {
    void operator()(ZSTD_CDict* d) const { ZSTD_freeCDict(d); }
  };
  struct DDictDeleter {
    void operator()(ZSTD_DDict* d) const { ZSTD_freeDDict(d); }
  };

  int level_;
  std::unique_ptr<ZSTD_CDict, CDictDeleter> cdict_;
  std::unique_ptr<ZSTD_DDict, DDictDeleter> ddict_;
  unsigned dict_id_ = 0;
};

// Format: snappy raw format (varint length, then elements).
class SnappyCodec final : public Codec {
 public:
  [[nodiscard]] CodecId id() const override { return CodecId::kSnappy; }

  Status compress(ByteView in, Bytes* out) const override {
    out->clear();
    snappy::Compress(in.data(), in.size(), out);
    return Status::ok();
  }

  Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const override {
    std::size_t declared = 0;
    if (!snappy::GetUncompressedLength(in.data(), in.size(), &declared)) {
      return malformed(name(), "bad length header");
    }
    if (declared > max_out) return bomb(name(), declared, max_out);
    // A snappy element never expands beyond 64 bytes per input byte.
    if (declared > in.size() * 64ull + 16) {
      return malformed(name(), "declared size impossible for input length");
    }
    out->resize(declared);
    char dummy = 0;
    char* dst = declared == 0 ? &dummy : out->data();
    if (!snappy::RawUncompress(in.data(), in.size(), dst)) {
      return malformed(name(), "corrupt data");
    }
    return Status::ok();
  }
};

// Format: RFC 1952 gzip member (zlib deflate with gzip wrapper).
class GzipCodec final : public Codec {
 public:
  explicit GzipCodec(int level) : level_(std::clamp(level, 1, 9)) {}

  [[nodiscard]] CodecId id() const override { return CodecId::kGzip; }

  Status compress(ByteView in, Bytes* out) const override {
    if (in.size() > std::numeric_limits<uInt>::max()) {
      return invalid_argument("gzip: input too large");
    }
    z_stream z{};
    if (deflateInit2(&z, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return internal_error("gzip: deflateInit2 failed");
    }
    out->resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out->data());
    z.avail_out = static_cast<uInt>(out->size());
    int rc = deflate(&z, Z_FINISH);
    std::size_t total = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return internal_error("gzip: deflate did not finish");
    out->resize(total);
    return Status::ok();
  }

  Status decompress(ByteView in, std::uint64_t max_out, Bytes* out) const override {
    if (in.size() > std::numeric_limits<uInt>::max()) return malformed(name(), "input too large");
    std::uint64_t cap = std::min(max_out, kHardCap);
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return internal_error("gzip: inflateInit2 failed");
    struct End {
      z_stream* z;
      ~End() { inflateEnd(z); }
    } end{&z};
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    out->clear();
    std::size_t written = 0;
    for (;;) {
      if (written == out->size() && !grow(out, cap)) return bomb(name(), 0, cap);
      z.next_out = reinterpret_cast<Bytef*>(out->data() + written);
      z.avail_out = static_cast<uInt>(out->size() - written);
      int rc = inflate(&z, Z_NO_FLUSH);
      written = out->size() - z.avail_out;
      if (written > cap) return bomb(name(), 0, cap);
      if (rc == Z_STREAM_END) {
        if (z.avail_in != 0) return malformed(name(), "trailing data after gzip member");
        break;
      }
      if (rc == Z_OK) continue;
      if (rc == Z_BUF_ERROR && z.avail_out == 0) continue;  // needs more room
      if (rc == Z_BUF_ERROR) return malformed(name(), "truncated stream");
      return malformed(name(), z.msg != nullptr ? z.msg : "inflate error");
    }
    out->resize(written);
    return Status::ok();
  }

 private:
  int level_;
};

}  // namespace

std::string_view codec_name(CodecId id) {
  auto i = static_cast<std::size_t>(id);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

Result<CodecId> codec_id_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<CodecId>(i);
  }
  return invalid_argument("unknown compression codec '" + std::string(name) +
                          "' (expected none|lz4|zstd|snappy|gzip)");
}

Result<CodecId> codec_id_from_wire(std::uint8_t wire) {
  if (wire > kMaxCodecId) return invalid_argument("unknown codec id " + std::to_string(wire));
  return static_cast<CodecId>(wire);
}

std::unique_ptr<Codec> make_codec(CodecId id, const CodecOptions& options) {
  switch (id) {
    case CodecId::kNone:
      return std::make_unique<NoneCodec>();
    case CodecId::kLz4:
      return std::make_unique<Lz4Codec>();
    case CodecId::kZstd:
      return std::make_unique<ZstdCodec>(options.zstd_level);
    case CodecId::kSnappy:
      return std::make_unique<SnappyCodec>();
    case CodecId::kGzip:
      return std::make_unique<GzipCodec>(options.gzip_level);
  }
  return nullptr;
}

Result<std::unique_ptr<Codec>> make_codec(std::string_view name, const CodecOptions& options) {
  SYNOD_ASSIGN_OR_RETURN(CodecId id, codec_id_from_name(name));
  return make_codec(id, options);
}

Result<Bytes> train_zstd_dictionary(const std::vector<Bytes>& samples, std::size_t max_size) {
  Bytes joined;
  std::vector<std::size_t> sizes;
  for (const Bytes& sample : samples) {
    if (sample.empty()) continue;
    joined += sample;
    sizes.push_back(sample.size());
  }
  if (sizes.size() < 8) {
    return failed_precondition("zstd dictionary: need at least 8 non-empty samples");
  }
  Bytes dict(max_size, '\0');
  std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), joined.data(), sizes.data(),
                                        static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return failed_precondition(std::string("zstd dictionary: ") + ZDICT_getErrorName(n));
  }
  dict.resize(n);
  return dict;
}

Result<std::unique_ptr<Codec>> make_zstd_dict_codec(ByteView dictionary,
                                                    const CodecOptions& options) {
  auto codec = std::make_unique<ZstdCodec>(options.zstd_level);
  SYNOD_RETURN_IF_ERROR(codec->set_dictionary(dictionary));
  return std::unique_ptr<Codec>(std::move(codec));
}

std::uint32_t zstd_frame_dictionary_id(ByteView frame) {
  return ZSTD_getDictID_fromFrame(frame.data(), frame.size());
}

std::uint32_t zstd_dictionary_id(ByteView dictionary) {
  return ZSTD_getDictID_fromDict(dictionary.data(), dictionary.size());
}

}  // namespace synod::compression
