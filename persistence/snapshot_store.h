// SnapshotStore: state-machine snapshots (Raft §7), written and read in
// chunks so a large snapshot never has to sit in memory whole and can be
// streamed to a follower (InstallSnapshot).
//
// Writing: begin(meta) -> writer->append(chunk)... -> writer->commit(). Only
// commit() publishes the snapshot, atomically and durably (a crash before it
// leaves the previous latest snapshot in place); destroying a writer without
// commit() abandons it. After a commit the store deletes all but the newest
// `snapshots_retained` snapshots (BackendOptions).
//
// Reading: open_latest() gives the newest committed snapshot's meta and a
// reader; the reader verifies the data's checksum when it reaches the end, so
// a damaged snapshot is reported as Corruption naming its file or key.
//
// Threading: the store is thread-safe; one writer at a time. A reader and a
// writer are each used by one thread, and an open reader keeps its snapshot
// readable even if retention deletes it meanwhile (or fails with a clear
// error on backends where that cannot be guaranteed).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/bytes.h"
#include "common/raft_types.h"
#include "common/status.h"

namespace synod::persistence {

class SnapshotWriter {
 public:
  virtual ~SnapshotWriter() = default;
  // Adds the next chunk of snapshot data (any size, may be empty).
  virtual Status append(ByteView chunk) = 0;
  // Publishes the snapshot durably; the writer is finished afterwards.
  virtual Status commit() = 0;
};

class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  [[nodiscard]] virtual const SnapshotMeta& meta() const = 0;
  // Total size in bytes of the snapshot data.
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  // The next up to max_bytes of data; an empty result means the end was
  // reached and the checksum matched. Corruption if the data is damaged.
  [[nodiscard]] virtual Result<Bytes> read_chunk(std::uint64_t max_bytes) = 0;
};

struct SnapshotInfo {
  SnapshotMeta meta;
  std::uint64_t size = 0;  // bytes of snapshot data
  bool operator==(const SnapshotInfo&) const = default;
};

class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;
  // Starts a new snapshot. meta.index should be above the latest snapshot's
  // (FailedPrecondition if it is lower; an equal index replaces it).
  [[nodiscard]] virtual Result<std::unique_ptr<SnapshotWriter>> begin(const SnapshotMeta& meta) = 0;
  // The newest committed snapshot; NotFound if there is none.
  [[nodiscard]] virtual Result<std::unique_ptr<SnapshotReader>> open_latest() = 0;
  // Committed snapshots still retained, newest first.
  [[nodiscard]] virtual Result<std::vector<SnapshotInfo>> list() const = 0;
};

// Reads a whole snapshot into memory (tests, small snapshots).
Result<Bytes> read_all(SnapshotReader& reader, std::uint64_t chunk_bytes = 1 << 20);

}  // namespace synod::persistence
