#include "consensus/state/snapshot_codec.h"

#include <string>

#include "consensus/state/crc32c.h"

namespace synod::consensus::state {
namespace {

constexpr std::string_view kMagic = "SYNS";
constexpr std::uint8_t kEndMarker = 0xFF;
constexpr std::size_t kHeaderBytes = 4 + 4 + 8;
constexpr std::size_t kTrailerBytes = 1 + 8 + 4;

}  // namespace

SnapshotWriter::SnapshotWriter(LogIndex applied_index) {
  out_.append(kMagic);
  put_u32(out_, kSnapshotFormatVersion);
  put_u64(out_, applied_index.value());
}

void SnapshotWriter::add(RecordTable table, std::string_view key, ByteView value) {
  put_u8(out_, static_cast<std::uint8_t>(table));
  put_bytes(out_, key);
  put_bytes(out_, value);
  ++count_;
}

Bytes SnapshotWriter::finish() {
  put_u8(out_, kEndMarker);
  put_u64(out_, count_);
  put_u32(out_, crc32c(out_));
  return std::move(out_);
}

Status read_snapshot(ByteView data, LogIndex* applied_index, const SnapshotVisitor& visit) {
  if (data.size() < kHeaderBytes + kTrailerBytes) {
    return corruption("state snapshot truncated (" + std::to_string(data.size()) + " bytes)");
  }
  const ByteView body = data.substr(0, data.size() - 4);
  const std::uint32_t stored_crc = load_u32(data.data() + body.size());
  if (crc32c(body) != stored_crc) return corruption("state snapshot checksum mismatch");

  ByteReader reader(body);
  if (*reader.raw(kMagic.size()) != kMagic) return corruption("not a state snapshot (bad magic)");
  const std::uint32_t version = *reader.u32();
  if (version != kSnapshotFormatVersion) {
    return corruption("state snapshot format version " + std::to_string(version) +
                      " is not supported (expected " + std::to_string(kSnapshotFormatVersion) +
                      ")");
  }
  *applied_index = LogIndex(*reader.u64());
  std::uint64_t count = 0;
  while (true) {
    auto tag = reader.u8();
    if (!tag) return corruption("state snapshot ends inside record " + std::to_string(count));
    if (*tag == kEndMarker) break;
    auto table = record_table_from_u8(*tag);
    if (!table)
      return corruption("state snapshot record with unknown table " + std::to_string(*tag));
    auto key = reader.bytes();
    auto value = key ? reader.bytes() : std::nullopt;
    if (!value) return corruption("state snapshot ends inside record " + std::to_string(count));
    SYNOD_RETURN_IF_ERROR(visit(*table, *key, *value));
    ++count;
  }
  auto stored_count = reader.u64();
  if (!stored_count || !reader.done()) return corruption("state snapshot trailer is malformed");
  if (*stored_count != count) {
    return corruption("state snapshot holds " + std::to_string(count) + " records, trailer says " +
                      std::to_string(*stored_count));
  }
  return Status::ok();
}

}  // namespace synod::consensus::state
