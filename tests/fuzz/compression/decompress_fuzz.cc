// libFuzzer target for one decompressor (chosen at build time by
// SYNOD_FUZZ_CODEC, the wire codec id). Its input is an untrusted peer payload.
// Invariants checked: no crash or sanitizer report, no output over the cap,
// errors are only kInvalidArgument / kResourceExhausted, and whatever decodes
// re-encodes and decodes back to the same bytes.
//
// Build (clang only):
//   cmake -S . -B build-fuzz -G Ninja -DSYNOD_FUZZ=ON \
//       -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
//   ninja -C build-fuzz compression_lz4_fuzz compression_zstd_fuzz \
//       compression_snappy_fuzz compression_gzip_fuzz
// Run (bounded, e.g. in CI), seeding from the generated corpus:
//   build-fuzz/tests/fuzz/compression/compression_zstd_fuzz -max_total_time=60 \
//       -max_len=65536 -rss_limit_mb=512 tests/fuzz/compression/corpus/zstd
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "compression/codec.h"

#ifndef SYNOD_FUZZ_CODEC
#error "define SYNOD_FUZZ_CODEC to a codec wire id"
#endif

namespace {

using namespace synod::compression;

constexpr std::uint64_t kCap = 1 << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto codec = make_codec(static_cast<CodecId>(SYNOD_FUZZ_CODEC));
  synod::ByteView in(reinterpret_cast<const char*>(data), size);
  synod::Bytes out;
  synod::Status st = codec->decompress(in, kCap, &out);
  if (!st.is_ok()) {
    check(st.code() == synod::StatusCode::kInvalidArgument ||
          st.code() == synod::StatusCode::kResourceExhausted);
    return 0;
  }
  check(out.size() <= kCap);
  synod::Bytes again, back;
  check(codec->compress(out, &again).is_ok());
  check(codec->decompress(again, kCap, &back).is_ok());
  check(back == out);
  return 0;
}
