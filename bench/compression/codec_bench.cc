// Raw codec throughput on realistic replicated-log payloads (JSON-like KV
// commands) of 64 B, 1 KiB and 64 KiB. Reports bytes/s of the *uncompressed*
// payload for both directions and the ratio compressed/original as a counter.
//
//   ninja -C <build> codec_bench && <build>/bench/codec_bench
#include <benchmark/benchmark.h>

#include <cstdint>
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

void BM_Compress(benchmark::State& state, CodecId id) {
  auto codec = make_codec(id);
  Bytes in = testing::kv_commands(static_cast<std::size_t>(state.range(0)));
  Bytes out;
  for (auto _ : state) {
    if (!codec->compress(in, &out).is_ok()) state.SkipWithError("compress failed");
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, in.size(), out.size());
}

void BM_Decompress(benchmark::State& state, CodecId id) {
  auto codec = make_codec(id);
  Bytes in = testing::kv_commands(static_cast<std::size_t>(state.range(0)));
  Bytes enc;
  if (!codec->compress(in, &enc).is_ok()) state.SkipWithError("compress failed");
  Bytes out;
  for (auto _ : state) {
    if (!codec->decompress(enc, 64ull << 20, &out).is_ok()) {
      state.SkipWithError("decompress failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, in.size(), enc.size());
}

void register_all() {
  for (CodecId id :
       {CodecId::kNone, CodecId::kLz4, CodecId::kZstd, CodecId::kSnappy, CodecId::kGzip}) {
    std::string name(codec_name(id));
    auto* c = benchmark::RegisterBenchmark(("compress/" + name).c_str(), BM_Compress, id);
    auto* d = benchmark::RegisterBenchmark(("decompress/" + name).c_str(), BM_Decompress, id);
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
