// DbSnapshotStore: the SnapshotStore logic shared by the database backends
// (sqlite, postgres, redis). A snapshot is a metadata row plus numbered data
// chunks; a subclass only says how to store rows and chunks.
//
// A writer buffers data and stores it as chunks of up to kChunkBytes while it
// is written (a large snapshot never sits in memory whole); commit() publishes
// the metadata row and deletes the snapshots past retention in ONE
// transaction, so a crash before it leaves the previous latest snapshot in
// place. Chunks of never-published snapshots are deleted at the next open.
// The reader checks the CRC32C of the whole data when it reaches the end.
//
// Threading: thread-safe as far as the hooks are (each backend serialises its
// connection). A snapshot deleted by retention while a reader reads it makes
// the reader fail with NotFound naming the snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/backend_metrics.h"
#include "persistence/snapshot_store.h"

namespace synod::persistence {

struct StoredSnapshotRow {
  std::uint64_t id = 0;  // allocation order; chunks are keyed by (id, seq)
  SnapshotMeta meta;
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};

// Writers and readers point at their store: they must not outlive it.
class DbSnapshotStore : public SnapshotStore {
 public:
  static constexpr std::size_t kChunkBytes = 1 << 20;

  DbSnapshotStore(std::string_view backend_name, std::uint32_t retained, std::string where);

  Result<std::unique_ptr<SnapshotWriter>> begin(const SnapshotMeta& meta) override;
  Result<std::unique_ptr<SnapshotReader>> open_latest() override;
  Result<std::vector<SnapshotInfo>> list() const override;

  // The hooks, each atomic on its own.
  // Published snapshots, newest (highest index, then highest id) first.
  virtual Result<std::vector<StoredSnapshotRow>> db_list() const = 0;
  // A fresh id above every id in use (published or not).
  virtual Result<std::uint64_t> db_allocate_id() = 0;
  virtual Status db_put_chunk(std::uint64_t id, std::uint64_t seq, ByteView data) = 0;
  // nullopt if the chunk does not exist.
  virtual Result<std::optional<Bytes>> db_get_chunk(std::uint64_t id, std::uint64_t seq) const = 0;
  // In one transaction: publish `row`, delete the snapshots `drop` (rows and chunks).
  virtual Status db_publish(const StoredSnapshotRow& row,
                            const std::vector<std::uint64_t>& drop) = 0;

  // Called by backends at open: deletes chunks of unpublished snapshots.
  virtual Status db_delete_unpublished() = 0;

  // "<where>" names the table/key prefix in error messages.
  [[nodiscard]] const std::string& where() const { return where_; }
  BackendMetrics& metrics() { return metrics_; }
  std::uint32_t retained() const { return retained_; }

 private:
  BackendMetrics metrics_;
  std::uint32_t retained_;
  std::string where_;
};

}  // namespace synod::persistence
