#include "persistence/memory_backend.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>

#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

class MemoryLogStore final : public LogStore {
 public:
  Status append(std::span<const Entry> entries) override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(check_append(entries, last_locked()));
    for (const Entry& e : entries) entries_.push_back(e);
    return Status::ok();
  }

  Status sync() override {
    std::lock_guard lock(mutex_);
    durable_.store(last_locked().value(), std::memory_order_release);
    return Status::ok();
  }

  LogIndex durable_index() const override {
    return LogIndex(durable_.load(std::memory_order_acquire));
  }
  LogIndex first_index() const override {
    std::lock_guard lock(mutex_);
    return base_index_.next();
  }
  LogIndex last_index() const override {
    std::lock_guard lock(mutex_);
    return last_locked();
  }

  Result<Term> term_at(LogIndex index) const override {
    std::lock_guard lock(mutex_);
    if (index == base_index_) return base_term_;
    if (index < base_index_ || index > last_locked()) {
      return out_of_range(range_message("term_at", index, base_index_.next(), last_locked()));
    }
    return entries_[index - base_index_.next()].term;
  }

  Result<std::vector<Entry>> read(LogIndex lo, LogIndex hi,
                                  std::uint64_t max_bytes) const override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(check_read_range(lo, hi, base_index_.next(), last_locked()));
    std::vector<Entry> out;
    std::uint64_t bytes = 0;
    for (LogIndex i = lo; i < hi; ++i) {
      const Entry& e = entries_[i - base_index_.next()];
      if (!within_byte_limit(out.size(), bytes, e, max_bytes)) break;
      bytes += e.byte_size();
      out.push_back(e);
    }
    return out;
  }

  Status truncate_suffix(LogIndex from) override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(check_truncate(from, base_index_.next(), last_locked()));
    entries_.resize(from - base_index_.next());
    durable_.store(std::min(durable_.load(), from.prev().value()));
    return Status::ok();
  }

  Status compact_prefix(LogIndex upto) override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(check_compact(upto, base_index_, last_locked()));
    if (upto == base_index_) return Status::ok();
    base_term_ = entries_[upto - base_index_.next()].term;
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<std::ptrdiff_t>(upto - base_index_));
    base_index_ = upto;
    return Status::ok();
  }

  Status reset(LogIndex index, Term term) override {
    std::lock_guard lock(mutex_);
    entries_.clear();
    base_index_ = index;
    base_term_ = term;
    durable_.store(index.value());
    return Status::ok();
  }

 private:
  LogIndex last_locked() const { return base_index_ + entries_.size(); }

  mutable std::mutex mutex_;
  std::deque<Entry> entries_;  // GUARDED_BY(mutex_); entries_[0] has index base_index_ + 1
  LogIndex base_index_;        // GUARDED_BY(mutex_)
  Term base_term_;             // GUARDED_BY(mutex_)
  std::atomic<std::uint64_t> durable_{0};
};

class MemoryStableStore final : public StableStore {
 public:
  Status save(const StableState& state) override {
    std::lock_guard lock(mutex_);
    state_ = state;
    return Status::ok();
  }
  Result<StableState> load() const override {
    std::lock_guard lock(mutex_);
    return state_;
  }

 private:
  mutable std::mutex mutex_;
  StableState state_;  // GUARDED_BY(mutex_)
};

struct StoredSnapshot {
  SnapshotMeta meta;
  Bytes data;
};

class MemorySnapshotReader final : public SnapshotReader {
 public:
  explicit MemorySnapshotReader(std::shared_ptr<const StoredSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  const SnapshotMeta& meta() const override { return snapshot_->meta; }
  std::uint64_t size() const override { return snapshot_->data.size(); }
  Result<Bytes> read_chunk(std::uint64_t max_bytes) override {
    std::size_t n = std::min<std::uint64_t>(max_bytes, snapshot_->data.size() - position_);
    Bytes chunk = snapshot_->data.substr(position_, n);
    position_ += n;
    return chunk;
  }

 private:
  std::shared_ptr<const StoredSnapshot> snapshot_;
  std::size_t position_ = 0;
};

class MemorySnapshotStore final : public SnapshotStore {
 public:
  explicit MemorySnapshotStore(std::uint32_t retained) : retained_(std::max(1u, retained)) {}

  Result<std::unique_ptr<SnapshotWriter>> begin(const SnapshotMeta& meta) override;
  Result<std::unique_ptr<SnapshotReader>> open_latest() override {
    std::lock_guard lock(mutex_);
    if (snapshots_.empty()) return not_found("no snapshot stored");
    return std::unique_ptr<SnapshotReader>(new MemorySnapshotReader(snapshots_.back()));
  }
  Result<std::vector<SnapshotInfo>> list() const override {
    std::lock_guard lock(mutex_);
    std::vector<SnapshotInfo> out;
    for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
      out.push_back({(*it)->meta, (*it)->data.size()});
    }
    return out;
  }

  Status publish(std::shared_ptr<StoredSnapshot> snapshot) {
    std::lock_guard lock(mutex_);
    if (!snapshots_.empty() && snapshots_.back()->meta.index > snapshot->meta.index) {
      return failed_precondition("snapshot index below the latest snapshot's");
    }
    if (!snapshots_.empty() && snapshots_.back()->meta.index == snapshot->meta.index) {
      snapshots_.pop_back();
    }
    snapshots_.push_back(std::move(snapshot));
    while (snapshots_.size() > retained_) snapshots_.pop_front();
    return Status::ok();
  }

  LogIndex latest_index() const {
    std::lock_guard lock(mutex_);
    return snapshots_.empty() ? LogIndex(0) : snapshots_.back()->meta.index;
  }

 private:
  std::uint32_t retained_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const StoredSnapshot>> snapshots_;  // GUARDED_BY(mutex_), oldest first
};

class MemorySnapshotWriter final : public SnapshotWriter {
 public:
  MemorySnapshotWriter(MemorySnapshotStore* store, const SnapshotMeta& meta)
      : store_(store), snapshot_(std::make_shared<StoredSnapshot>()) {
    snapshot_->meta = meta;
  }
  Status append(ByteView chunk) override {
    if (done_) return failed_precondition("snapshot writer already committed");
    snapshot_->data.append(chunk);
    return Status::ok();
  }
  Status commit() override {
    if (done_) return failed_precondition("snapshot writer already committed");
    done_ = true;
    return store_->publish(std::move(snapshot_));
  }

 private:
  MemorySnapshotStore* store_;
  std::shared_ptr<StoredSnapshot> snapshot_;
  bool done_ = false;
};

Result<std::unique_ptr<SnapshotWriter>> MemorySnapshotStore::begin(const SnapshotMeta& meta) {
  if (meta.index < latest_index()) {
    return failed_precondition("snapshot index " + meta.index.to_string() +
                               " below the latest snapshot's " + latest_index().to_string());
  }
  return std::unique_ptr<SnapshotWriter>(new MemorySnapshotWriter(this, meta));
}

class MemoryAppliedStateStore final : public AppliedStateStore {
 public:
  Status apply_batch(const AppliedBatch& batch) override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(check_applied_batch(batch, applied_));
    if (batch.replace_all) {
      for (auto& table : tables_) table.clear();
    }
    for (const RecordOp& op : batch.ops) {
      auto& table = tables_[static_cast<std::size_t>(op.table)];
      if (op.record) {
        table[op.key] = normalized_record(op.table, *op.record, op.key);
      } else {
        table.erase(op.key);
      }
    }
    applied_ = batch.applied_index;
    return Status::ok();
  }
  Result<LogIndex> applied_index() const override {
    std::lock_guard lock(mutex_);
    return applied_;
  }
  Status load_all(const Visitor& visitor) const override {
    std::lock_guard lock(mutex_);
    return visit_tables(tables_, visitor);
  }

 private:
  mutable std::mutex mutex_;
  RecordTables tables_;  // GUARDED_BY(mutex_)
  LogIndex applied_;                                                     // GUARDED_BY(mutex_)
};

class MemoryBackend final : public StorageBackend {
 public:
  explicit MemoryBackend(const BackendOptions& options) : snapshots_(options.snapshots_retained) {}
  std::string_view name() const override { return "memory"; }
  LogStore& log() override { return log_; }
  StableStore& stable() override { return stable_; }
  SnapshotStore& snapshots() override { return snapshots_; }
  AppliedStateStore& applied_state() override { return applied_; }

 private:
  MemoryLogStore log_;
  MemoryStableStore stable_;
  MemorySnapshotStore snapshots_;
  MemoryAppliedStateStore applied_;
};

Result<std::unique_ptr<StorageBackend>> open_memory_backend(const BackendOptions& options) {
  return make_memory_backend(options);
}

}  // namespace

std::unique_ptr<StorageBackend> make_memory_backend(const BackendOptions& options) {
  return std::make_unique<MemoryBackend>(options);
}

SYNOD_REGISTER_STORAGE_BACKEND(memory, open_memory_backend);

}  // namespace synod::persistence
