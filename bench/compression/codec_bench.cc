// Raw codec throughput on realistic replicated-log payloads (JSON-like KV
// commands) of 64 B, 1 KiB and 64 KiB. Reports bytes/s of the *uncompressed*
// payload for both directions and the ratio compressed/original as a counter.
//
//   ninja -C <build> codec_bench && <build>/bench/codec_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "compression/codec.h"
#include "tests/compression/test_data.h"

namespace synod::compression {
namespace {

constexpr std::int64_t kSizes[] = {64, 1024, 64 * 1024};

void set_counters(benchmark::State& state, std::size_t original, std::size_t encoded) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(original));
  state.counters["ratio"] =
      original == 0 ? 1.0 : static_cast<double>(encoded) / static_cast<double>(original);
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// zstd with a dictionary trained on other log entries of the same schema:
// the gain for small entries (compare with zstd at the same size).
const Bytes& dictionary() {
  static const Bytes dict = [] {
    auto d = train_zstd_dictionary(testing::kv_entries(2000, 1000000), 16 * 1024);
    return d.is_ok() ? *d : Bytes();
  }();
  return dict;
}

std::unique_ptr<Codec> codec_for(CodecId id, bool with_dictionary) {
  if (!with_dictionary) return make_codec(id);
  auto codec = make_zstd_dict_codec(dictionary());
  return codec.is_ok() ? std::move(*codec) : nullptr;
}

void BM_Compress(benchmark::State& state, CodecId id, bool with_dictionary) {
  auto codec = codec_for(id, with_dictionary);
  if (!codec) {
    state.SkipWithError("no codec");
    return;
  }
  Bytes in = testing::kv_commands(static_cast<std::size_t>(state.range(0)));
  Bytes out;
  for (auto _ : state) {
    if (!codec->compress(in, &out).is_ok()) state.SkipWithError("compress failed");
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, in.size(), out.size());
}

void BM_Decompress(benchmark::State& state, CodecId id, bool with_dictionary) {
  auto codec = codec_for(id, with_dictionary);
  if (!codec) {
    state.SkipWithError("no codec");
    return;
  }
  Bytes in = testing::kv_commands(static_cast<std::size_t>(state.range(0)));
  Bytes enc, out;
  if (!codec->compress(in, &enc).is_ok()) state.SkipWithError("compress failed");
  for (auto _ : state) {
    if (!codec->decompress(enc, 64ull << 20, &out).is_ok()) {
      state.SkipWithError("decompress failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, in.size(), enc.size());
}

void register_all() {
  struct Variant {
    CodecId id;
    bool dictionary;
  };
  for (Variant v : {Variant{CodecId::kNone, false}, Variant{CodecId::kLz4, false},
                    Variant{CodecId::kZstd, false}, Variant{CodecId::kZstd, true},
                    Variant{CodecId::kSnappy, false}, Variant{CodecId::kGzip, false}}) {
    std::string name = std::string(codec_name(v.id)) + (v.dictionary ? "_dict" : "");
    auto* c =
        benchmark::RegisterBenchmark(("compress/" + name).c_str(), BM_Compress, v.id, v.dictionary);
    auto* d = benchmark::RegisterBenchmark(("decompress/" + name).c_str(), BM_Decompress, v.id,
                                           v.dictionary);
    for (std::int64_t size : kSizes) {
      c->Arg(size);
      d->Arg(size);
    }
  }
}

}  // namespace
}  // namespace synod::compression

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  synod::compression::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
