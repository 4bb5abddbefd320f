// Applied commands per second of the replicated state machine: 256 B sets
// (decode + apply + change tracking), the same with applied-state records
// built per batch, 8-op txns, and snapshot/restore of 100k keys.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/raft_types.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/state_store.h"

namespace synod::consensus::state {
namespace {

constexpr std::size_t kKeySpace = 100000;

std::vector<Entry> set_entries(std::size_t count, std::uint64_t first_index) {
  std::vector<Entry> entries;
  entries.reserve(count);
  const std::string value(256, 'v');
  for (std::size_t i = 0; i < count; ++i) {
    Entry entry;
    entry.index = LogIndex(first_index + i);
    entry.data = encode_command(
        make_kv_command(kv_set_op("bench/key/" + std::to_string(i % kKeySpace), value)));
    entries.push_back(std::move(entry));
  }
  return entries;
}

// Re-stamps pre-encoded entries with fresh indexes so every iteration applies.
void apply_in_batches(benchmark::State& state, bool with_records) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  std::vector<Entry> batch = set_entries(batch_size, 1);
  StateStore store;
  std::uint64_t next = 1;
  std::size_t records = 0;
  for (auto _ : state) {
    for (Entry& entry : batch) entry.index = LogIndex(next++);
    BatchOutcome outcome = store.apply_batch(batch);
    if (with_records) records += store.records_for(outcome.changes).changes.size();
    benchmark::DoNotOptimize(outcome);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
  state.counters["records"] = static_cast<double>(records);
}

void BM_Apply256BSets(benchmark::State& state) { apply_in_batches(state, false); }
BENCHMARK(BM_Apply256BSets)->Arg(1)->Arg(64)->Arg(256);

void BM_Apply256BSetsWithRecords(benchmark::State& state) { apply_in_batches(state, true); }
BENCHMARK(BM_Apply256BSetsWithRecords)->Arg(64)->Arg(256);

void BM_ApplyTxn8(benchmark::State& state) {
  StateStore store;
  const std::string value(256, 't');
  std::uint64_t next = 1;
  for (auto _ : state) {
    std::vector<proto::KvOp> ops;
    for (int i = 0; i < 8; ++i) {
      ops.push_back(kv_set_op("txn/" + std::to_string((next * 8 + i) % kKeySpace), value));
    }
    Entry entry;
    entry.index = LogIndex(next++);
    entry.data = encode_command(make_txn_command(std::move(ops)));
    benchmark::DoNotOptimize(store.apply(entry));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ApplyTxn8);

void BM_SnapshotAndRestore100k(benchmark::State& state) {
  StateStore store;
  (void)store.apply_batch(set_entries(kKeySpace, 1));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const Bytes snapshot = store.snapshot();
    StateStore restored;
    if (!restored.restore(snapshot).is_ok()) state.SkipWithError("restore failed");
    bytes = snapshot.size();
  }
  state.counters["snapshot_MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_SnapshotAndRestore100k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synod::consensus::state

BENCHMARK_MAIN();
