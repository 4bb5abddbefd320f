// Committed entries per second of a 3-node in-memory Raft cluster driven as
// fast as possible: no I/O, no threads, no codec. Messages are moved straight
// from one core's Ready into the next core's step(); "persisting" is a
// MemoryStorage append. This measures the core itself (batching, progress
// tracking, log bookkeeping), the ceiling a node can reach.
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

#include "common/random.h"
#include "consensus/memory_storage.h"
#include "consensus/raft.h"

namespace synod::consensus {
namespace {

class BenchCluster {
 public:
  explicit BenchCluster(std::uint64_t snapshot_entries) : random_(1) {
    ClusterConfig config{{NodeId(1), NodeId(2), NodeId(3)}, {}};
    for (int i = 0; i < 3; ++i) {
      storage_[i].bootstrap(config);
      RaftConfig cfg;
      cfg.id = NodeId(i + 1);
      cfg.snapshot_entries = snapshot_entries;
      cfg.max_append_bytes = 4 << 20;
      raft_[i] = std::make_unique<Raft>(cfg, storage_[i], random_);
    }
    (void)raft_[0]->campaign();
    drive();
  }

  // Handles Readys and delivers messages until everything is quiet.
  void drive() {
    bool busy = true;
    while (busy) {
      busy = false;
      for (int i = 0; i < 3; ++i) {
        while (raft_[i]->has_ready()) {
          busy = true;
          handle(i);
        }
      }
      while (!network_.empty()) {
        busy = true;
        Message m = std::move(network_.front());
        network_.pop_front();
        (void)raft_[m.to.value() - 1]->step(std::move(m));
      }
    }
  }

  Raft& leader() { return *raft_[0]; }
  std::uint64_t committed = 0;

 private:
  void handle(int i) {
    Ready rd = raft_[i]->take_ready();
    for (Message& m : rd.messages) network_.push_back(std::move(m));
    LogIndex last;
    Term last_term;
    if (!rd.entries.empty()) {
      last = rd.entries.back().index;
      last_term = rd.entries.back().term;
      (void)storage_[i].append(std::move(rd.entries));
    }
    if (rd.hard_state) storage_[i].set_hard_state(*rd.hard_state);
    for (Message& m : rd.messages_after_persist) network_.push_back(std::move(m));
    if (i == 0) committed += rd.committed_entries.size();
    applied_[i] += rd.committed_entries.size();
    if (last != LogIndex(0)) raft_[i]->on_persisted(last, last_term);
    // Compact like a node would, so memory stays flat over long runs.
    if (!rd.committed_entries.empty()) {
      const LogIndex applied = rd.committed_entries.back().index;
      if (raft_[i]->should_snapshot(applied)) {
        auto meta = raft_[i]->snapshot_meta(applied);
        if (meta.is_ok()) (void)storage_[i].create_snapshot(*meta, std::string());
      }
    }
  }

  SeededRandom random_;
  MemoryStorage storage_[3];
  std::unique_ptr<Raft> raft_[3];
  std::uint64_t applied_[3] = {0, 0, 0};
  std::deque<Message> network_;
};

void BM_RaftCoreCommit(benchmark::State& state) {
  const auto entry_bytes = static_cast<std::size_t>(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  BenchCluster cluster(/*snapshot_entries=*/100000);
  const std::string payload(entry_bytes, 'x');
  std::vector<std::string> proposals;
  for (auto _ : state) {
    proposals.assign(batch, payload);
    auto index = cluster.leader().propose_batch(proposals);
    if (!index.is_ok()) {
      state.SkipWithError("propose failed");
      break;
    }
    cluster.drive();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(cluster.committed));
  state.SetBytesProcessed(static_cast<std::int64_t>(cluster.committed * entry_bytes));
  state.counters["committed"] = static_cast<double>(cluster.committed);
}

// Args: entry size, proposals per batch (a node batches everything that
// arrived since the previous Ready into one propose_batch).
BENCHMARK(BM_RaftCoreCommit)
    ->ArgNames({"bytes", "batch"})
    ->Args({64, 1})
    ->Args({64, 64})
    ->Args({64, 256})
    ->Args({64, 1024})
    ->Args({1024, 1})
    ->Args({1024, 64})
    ->Args({1024, 1024});

}  // namespace
}  // namespace synod::consensus

BENCHMARK_MAIN();
