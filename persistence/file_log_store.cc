#include "persistence/file_log_store.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "persistence/record_file.h"
#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

constexpr std::size_t kEntryPrefixBytes = 17;  // term u64 | index u64 | type u8

void encode_entry(Bytes& out, const Entry& e, Bytes& scratch) {
  scratch.clear();
  put_u64(scratch, e.term.value());
  put_u64(scratch, e.index.value());
  put_u8(scratch, static_cast<std::uint8_t>(e.type));
  scratch.append(e.data);
  append_record(out, scratch);
}

Result<Entry> decode_entry(const std::string& path, std::uint64_t offset, ByteView payload) {
  if (payload.size() < kEntryPrefixBytes || static_cast<std::uint8_t>(payload[16]) > 2) {
    return corruption(path + " at offset " + std::to_string(offset) + ": malformed log entry");
  }
  Entry e;
  e.term = Term(load_u64(payload.data()));
  e.index = LogIndex(load_u64(payload.data() + 8));
  e.type = static_cast<EntryType>(payload[16]);
  e.data.assign(payload.substr(kEntryPrefixBytes));
  return e;
}

std::string segment_name(std::uint64_t epoch, LogIndex base) {
  char name[64];
  std::snprintf(name, sizeof name, "%016" PRIx64 "-%020" PRIu64 ".seg", epoch, base.next().value());
  return name;
}

struct Segment {
  std::string path;
  std::uint64_t epoch = 0;
  LogIndex base;  // index before the first entry
  Term base_term;
  std::uint64_t size = 0;              // bytes of published records + header
  std::vector<std::uint64_t> offsets;  // record start per entry
  std::vector<std::uint32_t> lengths;  // record bytes (header + payload) per entry
  std::vector<Term> terms;             // per entry
  std::shared_ptr<RandomAccessFile> reader;

  [[nodiscard]] LogIndex last() const { return base + offsets.size(); }
  [[nodiscard]] std::size_t slot(LogIndex index) const { return index - base.next(); }
};

class FileLogStore final : public LogStore {
 public:
  FileLogStore(Env& env, std::string dir, std::uint64_t segment_bytes, BackendMetrics* metrics)
      : env_(env), dir_(std::move(dir)), segment_bytes_(segment_bytes), metrics_(metrics) {}

  Status open();

  Status append(std::span<const Entry> entries) override;
  Status sync() override;
  LogIndex durable_index() const override { return LogIndex(durable_.load()); }
  LogIndex first_index() const override {
    std::shared_lock lock(mutex_);
    return compacted_.next();
  }
  LogIndex last_index() const override {
    std::shared_lock lock(mutex_);
    return last_locked();
  }
  Result<Term> term_at(LogIndex index) const override;
  Result<std::vector<Entry>> read(LogIndex lo, LogIndex hi, std::uint64_t max_bytes) const override;
  Status truncate_suffix(LogIndex from) override;
  Status compact_prefix(LogIndex upto) override;
  Status reset(LogIndex index, Term term) override;

 private:
  LogIndex last_locked() const { return segments_.back().last(); }
  Result<std::vector<Entry>> read_locked(LogIndex lo, LogIndex hi, std::uint64_t max_bytes) const;
  const Segment& segment_for(LogIndex index) const;  // index in [front.base+1, last]
  Status check_usable() const;
  Status fail(std::string_view op, Status status);
  Result<Segment> create_segment(std::uint64_t epoch, LogIndex base, Term base_term);
  Status roll_segment();
  Status open_writer();
  Status load_segment(const std::string& name,
                      std::map<std::pair<std::uint64_t, std::uint64_t>, Segment>& found);
  Status recover_segment(Segment& segment, bool newest);

  Env& env_;
  const std::string dir_;
  const std::uint64_t segment_bytes_;
  BackendMetrics* metrics_;

  mutable std::shared_mutex mutex_;
  std::deque<Segment> segments_;          // GUARDED_BY(mutex_); never empty after open
  LogIndex compacted_;                    // GUARDED_BY(mutex_); first_index() - 1
  Term compacted_term_;                   // GUARDED_BY(mutex_)
  std::uint64_t generation_ = 0;          // GUARDED_BY(mutex_); bumped by truncate/reset
  Status failed_;                         // GUARDED_BY(mutex_); sticky write/sync failure
  std::shared_ptr<WritableFile> writer_;  // GUARDED_BY(mutex_); the last segment
  std::atomic<std::uint64_t> durable_{0};
  Bytes buffer_, scratch_;  // writer thread only
};

const Segment& FileLogStore::segment_for(LogIndex index) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), index,
                             [](LogIndex i, const Segment& s) { return i <= s.base; });
  return *(it - 1);
}

Status FileLogStore::check_usable() const {
  std::shared_lock lock(mutex_);
  return failed_;
}

Status FileLogStore::fail(std::string_view op, Status status) {
  if (status.is_ok()) return status;
  if (metrics_) metrics_->count_error(op);
  std::unique_lock lock(mutex_);
  if (failed_.is_ok()) {
    failed_ = status.with_context("log store refuses writes after a failed " + std::string(op));
  }
  return status;
}

Result<Segment> FileLogStore::create_segment(std::uint64_t epoch, LogIndex base, Term base_term) {
  Segment s;
  s.path = dir_ + "/" + segment_name(epoch, base);
  s.epoch = epoch;
  s.base = base;
  s.base_term = base_term;
  Bytes extra;
  put_u64(extra, epoch);
  put_u64(extra, base.value());
  put_u64(extra, base_term.value());
  Bytes header = encode_file_header(kLogSegmentMagic, kLogSegmentVersion, extra);
  // Write-temp, fsync, rename, fsync-dir: a segment file exists only with a
  // complete header, so recovery never meets a half-created one.
  SYNOD_RETURN_IF_ERROR(write_file_durably(env_, s.path, header));
  s.size = header.size();
  SYNOD_ASSIGN_OR_RETURN(auto reader, env_.open_readable(s.path));
  s.reader = std::move(reader);
  return s;
}

Status FileLogStore::open_writer() {
  SYNOD_ASSIGN_OR_RETURN(auto writer, env_.open_appendable(segments_.back().path));
  writer_ = std::move(writer);
  return Status::ok();
}

Status FileLogStore::append(std::span<const Entry> entries) {
  SYNOD_RETURN_IF_ERROR(check_usable());
  if (entries.empty()) return Status::ok();
  StopWatch watch;
  LogIndex last;
  std::uint64_t start_size;
  {
    std::shared_lock lock(mutex_);
    last = last_locked();
    start_size = segments_.back().size;
  }
  SYNOD_RETURN_IF_ERROR(check_append(entries, last));
  if (start_size >= segment_bytes_) {
    SYNOD_RETURN_IF_ERROR(fail("append", roll_segment()));
    std::shared_lock lock(mutex_);
    start_size = segments_.back().size;
  }
  buffer_.clear();
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint32_t> lengths;
  offsets.reserve(entries.size());
  lengths.reserve(entries.size());
  for (const Entry& e : entries) {
    std::size_t before = buffer_.size();
    encode_entry(buffer_, e, scratch_);
    offsets.push_back(start_size + before);
    lengths.push_back(static_cast<std::uint32_t>(buffer_.size() - before));
  }
  std::shared_ptr<WritableFile> writer;
  {
    std::shared_lock lock(mutex_);
    writer = writer_;
  }
  SYNOD_RETURN_IF_ERROR(fail("append", writer->append(buffer_)));
  {
    std::unique_lock lock(mutex_);
    Segment& s = segments_.back();
    s.offsets.insert(s.offsets.end(), offsets.begin(), offsets.end());
    s.lengths.insert(s.lengths.end(), lengths.begin(), lengths.end());
    for (const Entry& e : entries) s.terms.push_back(e.term);
    s.size += buffer_.size();
  }
  if (metrics_) metrics_->observe_append(watch.elapsed(), buffer_.size());
  return Status::ok();
}

Status FileLogStore::roll_segment() {
  // The full segment is synced before the next one exists, so only the
  // newest segment can ever have a torn tail.
  std::shared_ptr<WritableFile> old;
  LogIndex last;
  Term last_term;
  std::uint64_t epoch;
  {
    std::shared_lock lock(mutex_);
    old = writer_;
    last = last_locked();
    const Segment& s = segments_.back();
    last_term = s.terms.empty() ? s.base_term : s.terms.back();
    epoch = s.epoch;
  }
  SYNOD_RETURN_IF_ERROR(old->sync());
  SYNOD_ASSIGN_OR_RETURN(Segment next, create_segment(epoch, last, last_term));
  SYNOD_ASSIGN_OR_RETURN(auto writer, env_.open_appendable(next.path));
  std::unique_lock lock(mutex_);
  segments_.push_back(std::move(next));
  writer_ = std::move(writer);
  return Status::ok();
}

Status FileLogStore::sync() {
  std::shared_ptr<WritableFile> writer;
  LogIndex target;
  std::uint64_t generation;
  {
    std::shared_lock lock(mutex_);
    SYNOD_RETURN_IF_ERROR(failed_);
    writer = writer_;
    target = last_locked();
    generation = generation_;
  }
  if (target.value() <= durable_.load()) return Status::ok();
  StopWatch watch;
  SYNOD_RETURN_IF_ERROR(fail("sync", writer->sync()));
  if (metrics_) metrics_->observe_sync(watch.elapsed());
  std::unique_lock lock(mutex_);
  // A truncate/reset meanwhile moved durability itself; do not overwrite it
  // with a target that may no longer exist.
  if (generation == generation_ && target.value() > durable_.load()) durable_.store(target.value());
  return Status::ok();
}

Result<Term> FileLogStore::term_at(LogIndex index) const {
  std::shared_lock lock(mutex_);
  if (index == compacted_) return compacted_term_;
  if (index < compacted_ || index > last_locked()) {
    return out_of_range(range_message("term_at", index, compacted_.next(), last_locked()));
  }
  const Segment& s = segment_for(index);
  return s.terms[s.slot(index)];
}

Result<std::vector<Entry>> FileLogStore::read(LogIndex lo, LogIndex hi,
                                              std::uint64_t max_bytes) const {
  auto result = read_locked(lo, hi, max_bytes);
  if (!result.is_ok() && metrics_ && result.status().code() != StatusCode::kOutOfRange &&
      result.status().code() != StatusCode::kInvalidArgument) {
    metrics_->count_error("read");
  }
  return result;
}

Result<std::vector<Entry>> FileLogStore::read_locked(LogIndex lo, LogIndex hi,
                                                     std::uint64_t max_bytes) const {
  std::shared_lock lock(mutex_);
  SYNOD_RETURN_IF_ERROR(check_read_range(lo, hi, compacted_.next(), last_locked()));
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  LogIndex next = lo;
  while (next < hi) {
    const Segment& s = segment_for(next);
    // Pick the run of entries in this segment that fits the byte limit, then
    // read it with one pread.
    std::size_t first = s.slot(next);
    std::size_t end = std::min<std::size_t>(s.offsets.size(), first + (hi - next));
    std::size_t stop = first;
    std::uint64_t run_bytes = bytes;
    bool limit_hit = false;
    for (; stop < end; ++stop) {
      std::uint64_t entry_bytes = s.lengths[stop] - kRecordHeaderBytes - kEntryPrefixBytes + 24;
      if (max_bytes > 0 && (out.size() + (stop - first)) > 0 &&
          run_bytes + entry_bytes > max_bytes) {
        limit_hit = true;
        break;
      }
      run_bytes += entry_bytes;
    }
    if (stop > first) {
      std::uint64_t from = s.offsets[first];
      std::uint64_t to = s.offsets[stop - 1] + s.lengths[stop - 1];
      SYNOD_ASSIGN_OR_RETURN(Bytes data, s.reader->read(from, to - from));
      for (std::size_t i = first; i < stop; ++i) {
        std::uint64_t at = s.offsets[i];
        SYNOD_ASSIGN_OR_RETURN(
            ByteView payload,
            decode_record_at(s.path, at, ByteView(data).substr(at - from, s.lengths[i])));
        SYNOD_ASSIGN_OR_RETURN(Entry e, decode_entry(s.path, at, payload));
        out.push_back(std::move(e));
      }
    }
    bytes = run_bytes;
    next = next + (stop - first);
    if (limit_hit) break;
  }
  return out;
}

Status FileLogStore::truncate_suffix(LogIndex from) {
  SYNOD_RETURN_IF_ERROR(check_usable());
  std::unique_lock lock(mutex_);
  SYNOD_RETURN_IF_ERROR(check_truncate(from, compacted_.next(), last_locked()));
  if (from > last_locked()) return Status::ok();
  Status status;
  bool removed = false;
  // Newest first, so a crash midway leaves a contiguous prefix.
  while (segments_.size() > 1 && segments_.back().base >= from) {
    writer_.reset();
    status = env_.remove_file(segments_.back().path);
    if (!status.is_ok()) break;
    segments_.pop_back();
    removed = true;
  }
  if (status.is_ok() && removed) status = env_.sync_dir(dir_);
  Segment& s = segments_.back();
  if (status.is_ok() && from <= s.last()) {
    std::size_t keep = s.slot(from);
    std::uint64_t new_size = s.offsets[keep];
    writer_.reset();
    // truncate_file fsyncs, which also makes every kept entry durable.
    status = env_.truncate_file(s.path, new_size);
    if (status.is_ok()) {
      s.offsets.resize(keep);
      s.lengths.resize(keep);
      s.terms.resize(keep);
      s.size = new_size;
    }
  }
  if (status.is_ok() && !writer_) status = open_writer();
  if (!status.is_ok()) {
    lock.unlock();
    return fail("truncate", status);
  }
  ++generation_;
  durable_.store(from.prev().value());
  return Status::ok();
}

Status FileLogStore::compact_prefix(LogIndex upto) {
  SYNOD_RETURN_IF_ERROR(check_usable());
  std::unique_lock lock(mutex_);
  SYNOD_RETURN_IF_ERROR(check_compact(upto, compacted_, last_locked()));
  if (upto == compacted_) return Status::ok();
  const Segment& holder = segment_for(upto);
  compacted_term_ = upto == holder.base ? holder.base_term : holder.terms[holder.slot(upto)];
  compacted_ = upto;
  // Oldest first, so a crash midway leaves a contiguous suffix. The newest
  // segment stays: appends go there.
  while (segments_.size() > 1 && segments_.front().last() <= upto) {
    Status status = env_.remove_file(segments_.front().path);
    if (!status.is_ok()) {
      lock.unlock();
      return fail("compact", status);
    }
    segments_.pop_front();
  }
  return Status::ok();
}

Status FileLogStore::reset(LogIndex index, Term term) {
  SYNOD_RETURN_IF_ERROR(check_usable());
  std::unique_lock lock(mutex_);
  // The new epoch's segment is durable before the old ones go: after a crash
  // in between, open() keeps only the highest epoch.
  std::uint64_t epoch = segments_.back().epoch + 1;
  auto created = create_segment(epoch, index, term);
  Status status = created.status();
  writer_.reset();
  if (status.is_ok()) {
    for (const Segment& s : segments_) {
      status = env_.remove_file(s.path);
      if (!status.is_ok()) break;
    }
  }
  if (status.is_ok()) status = env_.sync_dir(dir_);
  if (status.is_ok()) {
    segments_.clear();
    segments_.push_back(std::move(created).value());
    status = open_writer();
  }
  if (!status.is_ok()) {
    lock.unlock();
    return fail("reset", status);
  }
  compacted_ = index;
  compacted_term_ = term;
  ++generation_;
  durable_.store(index.value());
  return Status::ok();
}

Status FileLogStore::load_segment(
    const std::string& name, std::map<std::pair<std::uint64_t, std::uint64_t>, Segment>& found) {
  Segment s;
  s.path = dir_ + "/" + name;
  SYNOD_ASSIGN_OR_RETURN(auto reader, env_.open_readable(s.path));
  SYNOD_ASSIGN_OR_RETURN(Bytes head, reader->read(0, 64));
  SYNOD_ASSIGN_OR_RETURN(FileHeader header, decode_file_header(s.path, head, kLogSegmentMagic,
                                                               kLogSegmentVersion, "log segment"));
  ByteReader extra(header.extra);
  auto epoch = extra.u64();
  auto base = extra.u64();
  auto base_term = extra.u64();
  if (!epoch || !base || !base_term) return corruption(s.path + ": log segment header too short");
  s.epoch = *epoch;
  s.base = LogIndex(*base);
  s.base_term = Term(*base_term);
  s.size = header.size;
  s.reader = std::move(reader);
  found[{s.epoch, s.base.value()}] = std::move(s);
  return Status::ok();
}

Status FileLogStore::recover_segment(Segment& s, bool newest) {
  SYNOD_ASSIGN_OR_RETURN(Bytes contents, env_.read_file(s.path));
  LogIndex expected = s.base.next();
  Term previous = s.base_term;
  SYNOD_ASSIGN_OR_RETURN(
      ScanResult scan,
      scan_records(s.path, contents, s.size, newest, [&](std::uint64_t offset, ByteView payload) {
        SYNOD_ASSIGN_OR_RETURN(Entry e, decode_entry(s.path, offset, payload));
        if (e.index != expected || e.term < previous) {
          return corruption(s.path + " at offset " + std::to_string(offset) + ": entry " +
                            e.index.to_string() + " (term " + e.term.to_string() +
                            ") where index " + expected.to_string() + " was expected");
        }
        s.offsets.push_back(offset);
        s.lengths.push_back(static_cast<std::uint32_t>(payload.size() + kRecordHeaderBytes));
        s.terms.push_back(e.term);
        previous = e.term;
        ++expected;
        return Status::ok();
      }));
  s.size = scan.valid_end;
  if (scan.torn_tail) {
    // A write the process never saw synced: discard it durably before any
    // new append lands behind it.
    SYNOD_RETURN_IF_ERROR(env_.truncate_file(s.path, scan.valid_end));
  }
  return Status::ok();
}

Status FileLogStore::open() {
  SYNOD_RETURN_IF_ERROR(env_.create_dirs(dir_));
  SYNOD_ASSIGN_OR_RETURN(auto names, env_.list_dir(dir_));
  std::map<std::pair<std::uint64_t, std::uint64_t>, Segment> found;  // (epoch, base) order
  for (const std::string& name : names) {
    if (name.ends_with(".tmp")) {
      SYNOD_RETURN_IF_ERROR(env_.remove_file(dir_ + "/" + name));
    } else if (name.ends_with(".seg")) {
      SYNOD_RETURN_IF_ERROR(load_segment(name, found));
    }
  }
  if (found.empty()) {
    SYNOD_ASSIGN_OR_RETURN(Segment first, create_segment(1, LogIndex(0), Term(0)));
    segments_.push_back(std::move(first));
  } else {
    std::uint64_t epoch = found.rbegin()->first.first;
    for (auto& [key, s] : found) {
      if (key.first != epoch) {
        SYNOD_RETURN_IF_ERROR(env_.remove_file(s.path));  // left by an interrupted reset
      } else {
        segments_.push_back(std::move(s));
      }
    }
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      Segment& s = segments_[i];
      if (i > 0) {
        const Segment& prev = segments_[i - 1];
        Term prev_term = prev.terms.empty() ? prev.base_term : prev.terms.back();
        if (s.base != prev.last() || s.base_term != prev_term) {
          return corruption(s.path + ": segment starts after index " + s.base.to_string() +
                            " but " + prev.path + " ends at " + prev.last().to_string() +
                            " (a segment is missing or damaged)");
        }
      }
      SYNOD_RETURN_IF_ERROR(recover_segment(s, i + 1 == segments_.size()));
    }
  }
  compacted_ = segments_.front().base;
  compacted_term_ = segments_.front().base_term;
  SYNOD_RETURN_IF_ERROR(open_writer());
  // Whatever survived in the files is made durable now, so durable_index()
  // never overstates it (the page cache may hold writes of the dead process).
  SYNOD_RETURN_IF_ERROR(writer_->sync());
  durable_.store(last_locked().value());
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<LogStore>> open_file_log_store(Env& env, const std::string& dir,
                                                      std::uint64_t segment_bytes,
                                                      BackendMetrics* metrics) {
  auto store = std::make_unique<FileLogStore>(env, dir, segment_bytes, metrics);
  Status status = store->open();
  if (!status.is_ok()) {
    if (metrics) metrics->count_error("open");
    return status;
  }
  return std::unique_ptr<LogStore>(std::move(store));
}

}  // namespace synod::persistence
