#include "node/storage_worker.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "common/metrics.h"

namespace synod::node {
namespace {

metrics::Histogram& group_size_histogram() {
  static auto& h = metrics::Registry::global().histogram(
      "synod_storage_group_commit_jobs", "Readys made durable by one sync (group commit).", {},
      metrics::size_buckets());
  return h;
}
metrics::Histogram& persist_latency() {
  static auto& h = metrics::Registry::global().histogram(
      "synod_storage_persist_seconds", "Time to write and sync one group of Readys.");
  return h;
}

// Appends entries, first cutting a conflicting suffix (Raft §5.3) and
// skipping anything a snapshot already covers.
Status append_entries(persistence::LogStore& log, const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::ok();
  std::size_t skip = 0;
  const LogIndex covered = log.first_index().prev();
  while (skip < entries.size() && entries[skip].index <= covered) ++skip;
  if (skip == entries.size()) return Status::ok();
  const LogIndex first = entries[skip].index;
  if (first <= log.last_index()) SYNOD_RETURN_IF_ERROR(log.truncate_suffix(first));
  return log.append(std::span<const Entry>(entries.data() + skip, entries.size() - skip));
}

}  // namespace

StorageWorker::StorageWorker(persistence::StorageBackend& backend)
    : backend_(backend), thread_([this] { run(); }) {}

StorageWorker::~StorageWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StorageWorker::persist(PersistJob job) {
  {
    std::lock_guard lock(mutex_);
    persist_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void StorageWorker::save_applied(persistence::AppliedBatch batch) {
  {
    std::lock_guard lock(mutex_);
    applied_.push_back(std::move(batch));
  }
  wake_.notify_one();
}

void StorageWorker::save_snapshot(LocalSnapshotJob job) {
  {
    std::lock_guard lock(mutex_);
    snapshots_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void StorageWorker::fail_stop(const Status& status, const char* what) {
  spdlog::critical("storage failure while {}: {}; stopping (fail-stop)", what, status.to_string());
  spdlog::default_logger()->flush();
  std::_Exit(70);
}

Status StorageWorker::write_snapshot(persistence::StorageBackend& backend,
                                     const consensus::Snapshot& snapshot) {
  SYNOD_ASSIGN_OR_RETURN(auto writer, backend.snapshots().begin(snapshot.meta));
  SYNOD_RETURN_IF_ERROR(writer->append(snapshot.data));
  return writer->commit();
}

Status StorageWorker::write_persist_job(persistence::StorageBackend& backend,
                                        const PersistJob& job, bool sync) {
  auto& log = backend.log();
  if (job.snapshot && !job.snapshot->empty()) {
    const auto& meta = job.snapshot->meta;
    SYNOD_RETURN_IF_ERROR(write_snapshot(backend, *job.snapshot));
    // Keep the log after the snapshot if it agrees with it (Raft §7).
    auto term = log.term_at(meta.index);
    if (term.is_ok() && *term == meta.term && meta.index <= log.last_index()) {
      SYNOD_RETURN_IF_ERROR(log.compact_prefix(meta.index));
    } else {
      SYNOD_RETURN_IF_ERROR(log.reset(meta.index, meta.term));
    }
  }
  SYNOD_RETURN_IF_ERROR(append_entries(log, job.entries));
  if (sync && !job.entries.empty()) SYNOD_RETURN_IF_ERROR(log.sync());
  if (job.hard_state) {
    SYNOD_RETURN_IF_ERROR(
        backend.stable().save(persistence::StableState{*job.hard_state, job.configuration}));
  }
  return Status::ok();
}

void StorageWorker::run() {
  // Applied-state records are merged and written at most every
  // kAppliedInterval: they only shorten the log replay after a restart (the
  // log is the source of truth), so they must not cost an fsync per Ready.
  constexpr auto kAppliedInterval = std::chrono::milliseconds(100);
  constexpr auto kAppliedMaxDelay = std::chrono::seconds(1);
  std::optional<persistence::AppliedBatch> merged;
  auto last_applied_write = std::chrono::steady_clock::now();
  for (;;) {
    std::deque<PersistJob> persist;
    std::vector<persistence::AppliedBatch> applied;
    std::deque<LocalSnapshotJob> snapshots;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      auto has_work = [&] {
        return stopping_ || !persist_.empty() || !applied_.empty() || !snapshots_.empty();
      };
      if (merged) {
        wake_.wait_until(lock, last_applied_write + kAppliedInterval, has_work);
      } else {
        wake_.wait(lock, has_work);
      }
      stopping = stopping_;
      persist.swap(persist_);
      applied.swap(applied_);
      snapshots.swap(snapshots_);
    }
    if (stopping && persist.empty() && applied.empty() && snapshots.empty() && !merged) return;

    if (!persist.empty()) {
      const auto start = std::chrono::steady_clock::now();
      // Group commit: write every queued Ready, sync the log once, then save
      // the newest hard state (it supersedes the older ones).
      bool appended = false;
      std::optional<persistence::StableState> stable;
      for (auto& job : persist) {
        PersistJob write_part;
        write_part.snapshot = std::move(job.snapshot);
        write_part.entries = std::move(job.entries);
        if (auto st = write_persist_job(backend_, write_part, /*sync=*/false); !st.is_ok()) {
          fail_stop(st, "appending to the log");
        }
        appended = appended || !write_part.entries.empty();
        if (job.hard_state) stable = persistence::StableState{*job.hard_state, job.configuration};
      }
      if (appended) {
        if (auto st = backend_.log().sync(); !st.is_ok()) fail_stop(st, "syncing the log");
      }
      // Term and vote must be durable before dependent messages leave (Raft
      // Figure 2); the commit index need not be (it is relearned from the
      // leader, and a restart applies at least up to the applied state). So
      // the stable store, which costs several fsyncs per save, is written only
      // when term, vote or configuration changed.
      if (stable && (!last_stable_ || stable->hard_state.term != last_stable_->hard_state.term ||
                     stable->hard_state.vote != last_stable_->hard_state.vote ||
                     stable->configuration != last_stable_->configuration)) {
        if (auto st = backend_.stable().save(*stable); !st.is_ok()) {
          fail_stop(st, "saving the hard state");
        }
        last_stable_ = stable;
      }
      persist_latency().observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      group_size_histogram().observe(static_cast<double>(persist.size()));
      for (auto& job : persist) {
        if (job.done) job.done();
      }
    }

    for (auto& batch : applied) {
      if (!merged) merged.emplace();
      if (batch.replace_all) {
        merged->replace_all = true;
        merged->ops.clear();
      }
      merged->applied_index = batch.applied_index;
      for (auto& op : batch.ops) merged->ops.push_back(std::move(op));
    }
    const auto now = std::chrono::steady_clock::now();
    bool idle = false;
    {
      std::lock_guard lock(mutex_);
      idle = persist_.empty();
    }
    // Prefer a moment when no Ready waits for the disk; under constant load,
    // write at least every kAppliedMaxDelay anyway.
    if (merged && (stopping || (idle && now - last_applied_write >= kAppliedInterval) ||
                   now - last_applied_write >= kAppliedMaxDelay)) {
      if (auto st = backend_.applied_state().apply_batch(*merged); !st.is_ok()) {
        fail_stop(st, "saving applied state");
      }
      merged.reset();
      last_applied_write = now;
    }

    for (auto& job : snapshots) {
      if (auto st = write_snapshot(backend_, job.snapshot); !st.is_ok()) {
        fail_stop(st, "writing a snapshot");
      }
      if (job.compact_upto > backend_.log().first_index().prev()) {
        if (auto st = backend_.log().compact_prefix(job.compact_upto); !st.is_ok()) {
          fail_stop(st, "compacting the log");
        }
      }
    }
  }
}

}  // namespace synod::node
