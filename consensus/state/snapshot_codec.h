// The snapshot encoding of the replicated state: a versioned, checksummed
// sequence of records (the same records the applied-state store keeps).
//
//   "SYNS" | u32 version (1) | u64 applied_index
//   { u8 table (RecordTable) | u32 key_len | key | u32 value_len | value }*
//   u8 0xFF (end) | u64 record_count | u32 crc32c(every byte before it)
//
// Integers are little-endian. Columns are not stored (derived from values).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/status.h"
#include "consensus/state/state_record.h"

namespace synod::consensus::state {

inline constexpr std::uint32_t kSnapshotFormatVersion = 1;

class SnapshotWriter {
 public:
  explicit SnapshotWriter(LogIndex applied_index);
  void add(RecordTable table, std::string_view key, ByteView value);
  // The finished snapshot; the writer is spent afterwards.
  Bytes finish();

 private:
  Bytes out_;
  std::uint64_t count_ = 0;
};

using SnapshotVisitor =
    std::function<Status(RecordTable table, std::string_view key, ByteView value)>;

// Checks magic, version and checksum of untrusted bytes, then visits each
// record in order. Any damage is Corruption; the visitor's error is returned
// as is. `applied_index` receives the header's index.
Status read_snapshot(ByteView data, LogIndex* applied_index, const SnapshotVisitor& visit);

}  // namespace synod::consensus::state
