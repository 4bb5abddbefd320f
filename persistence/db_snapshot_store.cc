#include "persistence/db_snapshot_store.h"

#include <algorithm>

#include "persistence/crc32c.h"

namespace synod::persistence {
namespace {

class DbSnapshotWriter final : public SnapshotWriter {
 public:
  DbSnapshotWriter(DbSnapshotStore* store, std::uint64_t id, const SnapshotMeta& meta)
      : store_(store) {
    row_.id = id;
    row_.meta = meta;
  }

  Status append(ByteView chunk) override {
    if (done_) return failed_precondition("snapshot writer already committed");
    row_.crc = crc32c::extend(row_.crc, chunk.data(), chunk.size());
    row_.size += chunk.size();
    pending_.append(chunk);
    while (pending_.size() >= DbSnapshotStore::kChunkBytes) {
      SYNOD_RETURN_IF_ERROR(flush(DbSnapshotStore::kChunkBytes));
    }
    return Status::ok();
  }

  Status commit() override {
    if (done_) return failed_precondition("snapshot writer already committed");
    done_ = true;
    StopWatch watch;
    if (!pending_.empty()) SYNOD_RETURN_IF_ERROR(flush(pending_.size()));
    SYNOD_ASSIGN_OR_RETURN(auto published, store_->db_list());
    if (!published.empty() && published.front().meta.index > row_.meta.index) {
      return failed_precondition("snapshot index " + row_.meta.index.to_string() +
                                 " below the latest snapshot's " +
                                 published.front().meta.index.to_string());
    }
    // Keep the newest retained-1 others (an equal index is replaced).
    std::vector<std::uint64_t> drop;
    std::uint32_t kept = 1;
    for (const auto& other : published) {
      if (other.meta.index == row_.meta.index || kept >= store_->retained()) {
        drop.push_back(other.id);
      } else {
        ++kept;
      }
    }
    Status s = store_->db_publish(row_, drop);
    store_->metrics().observe_sync(watch.elapsed());
    return store_->metrics().track("snapshot", s);
  }

 private:
  Status flush(std::size_t n) {
    Status s = store_->db_put_chunk(row_.id, next_seq_++, ByteView(pending_).substr(0, n));
    if (!s.is_ok()) return store_->metrics().track("snapshot", s);
    store_->metrics().add_bytes_written(n);
    pending_.erase(0, n);
    return Status::ok();
  }

  DbSnapshotStore* store_;
  StoredSnapshotRow row_;
  Bytes pending_;
  std::uint64_t next_seq_ = 0;
  bool done_ = false;
};

class DbSnapshotReader final : public SnapshotReader {
 public:
  DbSnapshotReader(const DbSnapshotStore* store, StoredSnapshotRow row)
      : store_(store), row_(std::move(row)) {}

  const SnapshotMeta& meta() const override { return row_.meta; }
  std::uint64_t size() const override { return row_.size; }

  Result<Bytes> read_chunk(std::uint64_t max_bytes) override {
    if (max_bytes == 0) max_bytes = 1;
    if (offset_ == chunk_.size()) {
      if (delivered_ == row_.size) return finish();
      SYNOD_ASSIGN_OR_RETURN(auto chunk, store_->db_get_chunk(row_.id, next_seq_));
      if (!chunk) {
        return not_found("snapshot at index " + row_.meta.index.to_string() + " in " +
                         store_->where() + ": chunk " + std::to_string(next_seq_) +
                         " is missing (deleted by retention while being read, or damaged)");
      }
      ++next_seq_;
      chunk_ = std::move(*chunk);
      offset_ = 0;
      if (chunk_.empty() || delivered_ + chunk_.size() > row_.size) return damaged("size");
    }
    std::size_t n = std::min<std::uint64_t>(max_bytes, chunk_.size() - offset_);
    Bytes out = chunk_.substr(offset_, n);
    offset_ += n;
    delivered_ += n;
    crc_ = crc32c::extend(crc_, out.data(), out.size());
    return out;
  }

 private:
  Result<Bytes> finish() {
    if (crc_ != row_.crc) return damaged("checksum");
    return Bytes{};
  }
  Status damaged(const char* what) const {
    return corruption("snapshot at index " + row_.meta.index.to_string() + " in " +
                      store_->where() + ": " + what + " mismatch, the stored data is damaged");
  }

  const DbSnapshotStore* store_;
  StoredSnapshotRow row_;
  Bytes chunk_;
  std::size_t offset_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint32_t crc_ = 0;
};

}  // namespace

DbSnapshotStore::DbSnapshotStore(std::string_view backend_name, std::uint32_t retained,
                                 std::string where)
    : metrics_(backend_name), retained_(std::max(1u, retained)), where_(std::move(where)) {}

Result<std::unique_ptr<SnapshotWriter>> DbSnapshotStore::begin(const SnapshotMeta& meta) {
  SYNOD_ASSIGN_OR_RETURN(auto published, db_list());
  if (!published.empty() && published.front().meta.index > meta.index) {
    return failed_precondition("snapshot index " + meta.index.to_string() +
                               " below the latest snapshot's " +
                               published.front().meta.index.to_string());
  }
  auto id = db_allocate_id();
  if (!id.is_ok()) return metrics_.track("snapshot", id.status());
  return std::unique_ptr<SnapshotWriter>(new DbSnapshotWriter(this, *id, meta));
}

Result<std::unique_ptr<SnapshotReader>> DbSnapshotStore::open_latest() {
  auto published = db_list();
  if (!published.is_ok()) return metrics_.track("read", published.status());
  if (published->empty()) return not_found("no snapshot stored in " + where_);
  return std::unique_ptr<SnapshotReader>(new DbSnapshotReader(this, published->front()));
}

Result<std::vector<SnapshotInfo>> DbSnapshotStore::list() const {
  SYNOD_ASSIGN_OR_RETURN(auto published, db_list());
  std::vector<SnapshotInfo> out;
  for (const auto& row : published) out.push_back({row.meta, row.size});
  return out;
}

}  // namespace synod::persistence
