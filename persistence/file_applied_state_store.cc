// The file backend's applied state: every record in memory, made durable as
//
//   <dir>/base     record file, magic "SYNODAPB", extra = generation u64 |
//                  applied index u64; one record per stored Record
//   <dir>/journal  record file, magic "SYNODAPJ", extra = generation u64;
//                  one record per applied batch
//
// apply_batch() appends one journal record and fdatasyncs it; the record's
// CRC makes the batch atomic (a torn last record is discarded at open, so a
// batch is there whole or not at all). When the journal outgrows the base
// (and 4 MiB), a checkpoint writes a new base with generation g+1 durably,
// then an empty journal with generation g+1. At open the journal is replayed
// only if its generation equals the base's: an older journal is what a crash
// between the two steps leaves, and its batches are already in the base.
//
// Encodings (integers little-endian, "bytes" = u32 length + data):
//   record:  table u8 | key bytes | column count u8 | columns | value bytes
//   column:  0 (NULL) | 1 int u64 | 2 text bytes
//   batch:   applied index u64 | replace_all u8 | op count u32 | ops
//   op:      table u8 | key bytes | 0 (delete) or 1 + column count.. value
#include <map>
#include <mutex>

#include "persistence/file_stores.h"
#include "persistence/record_file.h"
#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kBaseMagic = "SYNODAPB";
constexpr std::string_view kJournalMagic = "SYNODAPJ";
constexpr std::uint32_t kAppliedVersion = 1;
constexpr std::uint64_t kMinCheckpointBytes = 4 << 20;

void encode_body(Bytes& out, const Record& record) {
  put_u8(out, static_cast<std::uint8_t>(record.columns.size()));
  for (const ColumnValue& c : record.columns) {
    if (const auto* i = std::get_if<std::int64_t>(&c)) {
      put_u8(out, 1);
      put_u64(out, static_cast<std::uint64_t>(*i));
    } else if (const auto* s = std::get_if<std::string>(&c)) {
      put_u8(out, 2);
      put_bytes(out, *s);
    } else {
      put_u8(out, 0);
    }
  }
  put_bytes(out, record.value);
}

bool decode_body(ByteReader& r, Record& record) {
  auto count = r.u8();
  if (!count) return false;
  record.columns.clear();
  for (int i = 0; i < *count; ++i) {
    auto tag = r.u8();
    if (!tag) return false;
    if (*tag == 0) {
      record.columns.emplace_back(std::monostate{});
    } else if (*tag == 1) {
      auto v = r.u64();
      if (!v) return false;
      record.columns.emplace_back(static_cast<std::int64_t>(*v));
    } else if (*tag == 2) {
      auto v = r.bytes();
      if (!v) return false;
      record.columns.emplace_back(std::string(*v));
    } else {
      return false;
    }
  }
  auto value = r.bytes();
  if (!value) return false;
  record.value.assign(*value);
  return true;
}

std::optional<Table> decode_table(ByteReader& r) {
  auto t = r.u8();
  if (!t || *t >= kAllTables.size()) return std::nullopt;
  return static_cast<Table>(*t);
}

using Tables = RecordTables;

class FileAppliedStateStore final : public AppliedStateStore {
 public:
  FileAppliedStateStore(Env& env, std::string dir, BackendMetrics* metrics)
      : env_(env), dir_(std::move(dir)), metrics_(metrics) {}

  Status open();

  Status apply_batch(const AppliedBatch& batch) override {
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(failed_);
    SYNOD_RETURN_IF_ERROR(check_applied_batch(batch, applied_));
    Bytes payload;
    put_u64(payload, batch.applied_index.value());
    put_u8(payload, batch.replace_all ? 1 : 0);
    put_u32(payload, static_cast<std::uint32_t>(batch.ops.size()));
    for (const RecordOp& op : batch.ops) {
      put_u8(payload, static_cast<std::uint8_t>(op.table));
      put_bytes(payload, op.key);
      put_u8(payload, op.record ? 1 : 0);
      if (op.record) encode_body(payload, normalized_record(op.table, *op.record, op.key));
    }
    Bytes framed;
    append_record(framed, payload);
    StopWatch watch;
    Status status = journal_->append(framed);
    if (status.is_ok()) status = journal_->sync();
    if (!status.is_ok()) return fail(status);
    if (metrics_) {
      metrics_->observe_sync(watch.elapsed());
      metrics_->add_bytes_written(framed.size());
    }
    apply(tables_, batch.replace_all, batch.ops);
    applied_ = batch.applied_index;
    journal_bytes_ += framed.size();
    if (journal_bytes_ > std::max(kMinCheckpointBytes, base_bytes_)) {
      Status checkpointed = checkpoint();
      if (!checkpointed.is_ok()) return fail(checkpointed);
    }
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
  static void apply(Tables& tables, bool replace_all, const std::vector<RecordOp>& ops) {
    if (replace_all) {
      for (auto& t : tables) t.clear();
    }
    for (const RecordOp& op : ops) {
      auto& table = tables[static_cast<std::size_t>(op.table)];
      if (op.record) {
        table[op.key] = normalized_record(op.table, *op.record, op.key);
      } else {
        table.erase(op.key);
      }
    }
  }

  Status fail(Status status) {
    if (metrics_) metrics_->count_error("applied");
    failed_ = status.with_context("applied-state store refuses writes after a failure");
    return status;
  }

  std::string base_path() const { return dir_ + "/base"; }
  std::string journal_path() const { return dir_ + "/journal"; }

  Status checkpoint() {
    Bytes extra;
    put_u64(extra, generation_ + 1);
    put_u64(extra, applied_.value());
    Bytes file = encode_file_header(kBaseMagic, kAppliedVersion, extra);
    Bytes payload;
    for (Table t : kAllTables) {
      for (const auto& [key, record] : tables_[static_cast<std::size_t>(t)]) {
        payload.clear();
        put_u8(payload, static_cast<std::uint8_t>(t));
        put_bytes(payload, key);
        encode_body(payload, record);
        append_record(file, payload);
      }
    }
    SYNOD_RETURN_IF_ERROR(write_file_durably(env_, base_path(), file));
    ++generation_;
    base_bytes_ = file.size();
    if (metrics_) metrics_->add_bytes_written(file.size());
    return start_journal();
  }

  Status start_journal() {
    Bytes extra;
    put_u64(extra, generation_);
    journal_.reset();
    SYNOD_RETURN_IF_ERROR(write_file_durably(
        env_, journal_path(), encode_file_header(kJournalMagic, kAppliedVersion, extra)));
    SYNOD_ASSIGN_OR_RETURN(journal_, env_.open_appendable(journal_path()));
    journal_bytes_ = 0;
    return Status::ok();
  }

  Status load_base();
  Status replay_journal(bool& replayed);

  Env& env_;
  const std::string dir_;
  BackendMetrics* metrics_;
  mutable std::mutex mutex_;
  Tables tables_;                          // GUARDED_BY(mutex_)
  LogIndex applied_;                       // GUARDED_BY(mutex_)
  std::uint64_t generation_ = 0;           // GUARDED_BY(mutex_)
  std::uint64_t base_bytes_ = 0;           // GUARDED_BY(mutex_)
  std::uint64_t journal_bytes_ = 0;        // GUARDED_BY(mutex_)
  std::unique_ptr<WritableFile> journal_;  // GUARDED_BY(mutex_)
  Status failed_;                          // GUARDED_BY(mutex_)
};

Status FileAppliedStateStore::load_base() {
  const std::string path = base_path();
  if (!env_.exists(path)) return Status::ok();
  SYNOD_ASSIGN_OR_RETURN(Bytes contents, env_.read_file(path));
  SYNOD_ASSIGN_OR_RETURN(
      FileHeader header,
      decode_file_header(path, contents, kBaseMagic, kAppliedVersion, "applied-state base"));
  ByteReader extra(header.extra);
  auto generation = extra.u64();
  auto applied = extra.u64();
  if (!generation || !applied) return corruption(path + ": applied-state header too short");
  generation_ = *generation;
  applied_ = LogIndex(*applied);
  base_bytes_ = contents.size();
  auto scan =
      scan_records(path, contents, header.size, false, [&](std::uint64_t offset, ByteView payload) {
        ByteReader r(payload);
        auto table = decode_table(r);
        auto key = r.bytes();
        Record record;
        if (!table || !key || !decode_body(r, record)) {
          return corruption(path + " at offset " + std::to_string(offset) +
                            ": malformed applied-state record");
        }
        record.key.assign(*key);
        tables_[static_cast<std::size_t>(*table)][record.key] = record;
        return Status::ok();
      });
  return scan.status();
}

Status FileAppliedStateStore::replay_journal(bool& replayed) {
  replayed = false;
  const std::string path = journal_path();
  if (!env_.exists(path)) return Status::ok();
  SYNOD_ASSIGN_OR_RETURN(Bytes contents, env_.read_file(path));
  SYNOD_ASSIGN_OR_RETURN(
      FileHeader header,
      decode_file_header(path, contents, kJournalMagic, kAppliedVersion, "applied-state journal"));
  ByteReader extra(header.extra);
  auto generation = extra.u64();
  if (!generation) return corruption(path + ": journal header too short");
  if (*generation < generation_) return Status::ok();  // superseded by the base
  if (*generation > generation_) {
    return corruption(path + ": journal generation " + std::to_string(*generation) +
                      " is newer than the base's " + std::to_string(generation_) +
                      " (the base file is missing or old)");
  }
  SYNOD_ASSIGN_OR_RETURN(
      ScanResult scan,
      scan_records(path, contents, header.size, true, [&](std::uint64_t offset, ByteView payload) {
        auto bad = [&] {
          return corruption(path + " at offset " + std::to_string(offset) +
                            ": malformed applied batch");
        };
        ByteReader r(payload);
        auto applied = r.u64();
        auto replace_all = r.u8();
        auto count = r.u32();
        if (!applied || !replace_all || !count) return bad();
        std::vector<RecordOp> ops;
        for (std::uint32_t i = 0; i < *count; ++i) {
          RecordOp op;
          auto table = decode_table(r);
          auto key = r.bytes();
          auto has_record = r.u8();
          if (!table || !key || !has_record) return bad();
          op.table = *table;
          op.key.assign(*key);
          if (*has_record) {
            op.record.emplace();
            if (!decode_body(r, *op.record)) return bad();
            op.record->key = op.key;
          }
          ops.push_back(std::move(op));
        }
        apply(tables_, *replace_all != 0, ops);
        applied_ = LogIndex(*applied);
        return Status::ok();
      }));
  if (scan.torn_tail) SYNOD_RETURN_IF_ERROR(env_.truncate_file(path, scan.valid_end));
  journal_bytes_ = scan.valid_end;
  replayed = true;
  return Status::ok();
}

Status FileAppliedStateStore::open() {
  SYNOD_RETURN_IF_ERROR(env_.create_dirs(dir_));
  for (const char* tmp : {"/base.tmp", "/journal.tmp"}) {
    if (env_.exists(dir_ + tmp)) SYNOD_RETURN_IF_ERROR(env_.remove_file(dir_ + tmp));
  }
  SYNOD_RETURN_IF_ERROR(load_base());
  bool replayed = false;
  SYNOD_RETURN_IF_ERROR(replay_journal(replayed));
  if (!replayed) return start_journal();
  SYNOD_ASSIGN_OR_RETURN(journal_, env_.open_appendable(journal_path()));
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<AppliedStateStore>> open_file_applied_state_store(Env& env,
                                                                         const std::string& dir,
                                                                         BackendMetrics* metrics) {
  auto store = std::make_unique<FileAppliedStateStore>(env, dir, metrics);
  SYNOD_RETURN_IF_ERROR(store->open());
  return std::unique_ptr<AppliedStateStore>(std::move(store));
}

}  // namespace synod::persistence
