#include "persistence/db_log_store.h"

#include <algorithm>

#include "persistence/store_checks.h"

namespace synod::persistence {

DbLogStore::DbLogStore(std::string_view backend_name)
    : metrics_(backend_name), metrics_name_(backend_name) {}

void DbLogStore::init_bounds(StoredLogBounds bounds) {
  std::scoped_lock lock(db_mutex_, state_mutex_);
  base_index_ = bounds.base_index;
  base_term_ = bounds.base_term;
  last_index_ = bounds.last_index;
  term_runs_ = std::move(bounds.term_runs);
  written_high_water_ = last_index_;
  durable_.store(last_index_.value(), std::memory_order_release);
}

Status DbLogStore::check_writable() const { return sticky_error_; }

Status DbLogStore::record_failure(std::string_view op, Status status) {
  metrics_.count_error(op);
  if (status.code() != StatusCode::kUnavailable) {
    std::lock_guard lock(state_mutex_);
    if (sticky_error_.is_ok()) sticky_error_ = status;
  }
  return status;
}

Status DbLogStore::append(std::span<const Entry> entries) {
  StopWatch watch;
  std::lock_guard lock(state_mutex_);
  SYNOD_RETURN_IF_ERROR(check_writable());
  SYNOD_RETURN_IF_ERROR(check_append(entries, last_index_));
  for (const Entry& e : entries) {
    if (last_index_ == base_index_ || e.term != term_at_locked(last_index_)) {
      term_runs_[e.index] = e.term;
    }
    buffer_.push_back(e);
    last_index_ = e.index;
  }
  metrics_.observe_append(watch.elapsed(), 0);
  return Status::ok();
}

Status DbLogStore::sync() {
  std::lock_guard db_lock(db_mutex_);
  std::vector<Entry> batch;
  std::map<LogIndex, Term> runs;
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_writable());
    if (buffer_.empty()) return Status::ok();
    batch.assign(buffer_.begin(), buffer_.end());
    runs = term_runs_;
  }
  StopWatch watch;
  written_high_water_ = std::max(written_high_water_, batch.back().index);
  Status s = db_write(batch, runs);
  if (!s.is_ok()) return record_failure("sync", s);
  metrics_.observe_sync(watch.elapsed());
  std::uint64_t bytes = 0;
  for (const Entry& e : batch) bytes += e.byte_size();
  metrics_.add_bytes_written(bytes);
  std::lock_guard lock(state_mutex_);
  // Only append() ran meanwhile (every remover takes db_mutex_), and it only
  // adds at the back, so the batch is still the front of the buffer.
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
  durable_.store(std::max(durable_.load(), batch.back().index.value()), std::memory_order_release);
  return Status::ok();
}

LogIndex DbLogStore::durable_index() const {
  return LogIndex(durable_.load(std::memory_order_acquire));
}

LogIndex DbLogStore::first_index() const {
  std::lock_guard lock(state_mutex_);
  return base_index_.next();
}

LogIndex DbLogStore::last_index() const {
  std::lock_guard lock(state_mutex_);
  return last_index_;
}

Term DbLogStore::term_at_locked(LogIndex index) const {
  if (index == base_index_) return base_term_;
  auto it = term_runs_.upper_bound(index);
  if (it == term_runs_.begin()) return Term(0);  // unreachable while the invariant holds
  return std::prev(it)->second;
}

Result<Term> DbLogStore::term_at(LogIndex index) const {
  std::lock_guard lock(state_mutex_);
  if (index < base_index_ || index > last_index_) {
    return out_of_range(range_message("term_at", index, base_index_.next(), last_index_));
  }
  return term_at_locked(index);
}

Result<std::vector<Entry>> DbLogStore::read(LogIndex lo, LogIndex hi,
                                            std::uint64_t max_bytes) const {
  auto from_buffer = [&](std::vector<Entry>& out, std::uint64_t bytes, LogIndex from) {
    for (LogIndex i = from; i < hi; ++i) {
      const Entry& e = buffer_[i - buffered_first_locked()];
      if (!within_byte_limit(out.size(), bytes, e, max_bytes)) break;
      bytes += e.byte_size();
      out.push_back(e);
    }
  };
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_read_range(lo, hi, base_index_.next(), last_index_));
    if (lo == hi) return std::vector<Entry>{};
    if (lo >= buffered_first_locked()) {
      std::vector<Entry> out;
      from_buffer(out, 0, lo);
      return out;
    }
  }
  // Part of the range is in the database: hold db_mutex_ so sync() cannot
  // move entries between the database and the buffer while we read.
  std::lock_guard db_lock(db_mutex_);
  LogIndex db_end;
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_read_range(lo, hi, base_index_.next(), last_index_));
    db_end = std::min(hi, buffered_first_locked());
  }
  std::vector<Entry> out;
  if (lo < db_end) {
    auto rows = db_read(lo, db_end, max_bytes);
    if (!rows.is_ok()) {
      metrics_.count_error("read");
      return rows.status();
    }
    out = std::move(rows).value();
    if (out.size() < db_end - lo) {
      bool stopped_by_limit = max_bytes > 0 && !out.empty();
      if (!stopped_by_limit) {
        return corruption(std::string(metrics_name_) + " log: entries [" + lo.to_string() + ", " +
                          db_end.to_string() + ") are missing from the stored log");
      }
      return out;
    }
  }
  if (db_end < hi) {
    std::uint64_t bytes = 0;
    for (const Entry& e : out) bytes += e.byte_size();
    std::lock_guard lock(state_mutex_);
    from_buffer(out, bytes, db_end);
  }
  return out;
}

Status DbLogStore::truncate_suffix(LogIndex from) {
  std::lock_guard db_lock(db_mutex_);
  std::map<LogIndex, Term> runs;
  bool touches_db;
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_writable());
    SYNOD_RETURN_IF_ERROR(check_truncate(from, base_index_.next(), last_index_));
    runs = term_runs_;
    runs.erase(runs.lower_bound(from), runs.end());
    touches_db = from < buffered_first_locked() || from <= written_high_water_;
  }
  if (touches_db) {
    Status s = db_truncate(from, runs);
    if (!s.is_ok()) return record_failure("truncate", s);
    written_high_water_ = std::min(written_high_water_, from.prev());
  }
  std::lock_guard lock(state_mutex_);
  std::size_t keep = from <= buffered_first_locked() ? 0 : from - buffered_first_locked();
  buffer_.resize(std::min(keep, buffer_.size()));
  term_runs_ = std::move(runs);
  last_index_ = from.prev();
  durable_.store(std::min(durable_.load(), last_index_.value()), std::memory_order_release);
  return Status::ok();
}

Status DbLogStore::compact_prefix(LogIndex upto) {
  std::lock_guard db_lock(db_mutex_);
  std::map<LogIndex, Term> runs;
  Term upto_term;
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_writable());
    SYNOD_RETURN_IF_ERROR(check_compact(upto, base_index_, last_index_));
    if (upto == base_index_) return Status::ok();
    upto_term = term_at_locked(upto);
    runs = term_runs_;
    runs.erase(runs.begin(), runs.upper_bound(upto));
    if (upto < last_index_) runs[upto.next()] = term_at_locked(upto.next());
  }
  Status s = db_compact(upto, upto_term, runs);
  if (!s.is_ok()) return record_failure("compact", s);
  std::lock_guard lock(state_mutex_);
  while (!buffer_.empty() && buffer_.front().index <= upto) buffer_.pop_front();
  base_index_ = upto;
  base_term_ = upto_term;
  term_runs_ = std::move(runs);
  written_high_water_ = std::max(written_high_water_, upto);
  durable_.store(std::max(durable_.load(), upto.value()), std::memory_order_release);
  return Status::ok();
}

Status DbLogStore::reset(LogIndex index, Term term) {
  std::lock_guard db_lock(db_mutex_);
  {
    std::lock_guard lock(state_mutex_);
    SYNOD_RETURN_IF_ERROR(check_writable());
  }
  Status s = db_reset(index, term);
  if (!s.is_ok()) return record_failure("truncate", s);
  std::lock_guard lock(state_mutex_);
  buffer_.clear();
  base_index_ = index;
  base_term_ = term;
  last_index_ = index;
  term_runs_.clear();
  written_high_water_ = index;
  durable_.store(index.value(), std::memory_order_release);
  return Status::ok();
}

}  // namespace synod::persistence
