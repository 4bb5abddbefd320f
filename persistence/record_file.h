// The framing shared by the file backend's append-only files (log segments
// and the applied-state journal): a checksummed file header, then records
//
//   file header: magic[8] | version u32 | extra_len u32 | extra[extra_len] |
//                masked crc32c(all preceding header bytes) u32
//   record:      masked crc32c(len bytes ++ payload) u32 | len u32 | payload
//
// (all integers little-endian). docs/persistence.md gives the byte layout.
//
// Recovery rule (scan_records): in a file that may have a torn tail (the
// newest file, written after its last sync), a damaged record is a torn
// write, and it and everything after it are discarded, when it is the last
// thing in the file: its header is cut short, its length runs past the end,
// it ends exactly at the end, or every byte from it to the end is zero. A
// damaged record with intact data after it is Corruption naming the file and
// offset: the node must stop rather than silently lose acknowledged entries.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::persistence {

inline constexpr std::size_t kRecordHeaderBytes = 8;

Bytes encode_file_header(std::string_view magic, std::uint32_t version, ByteView extra);
void append_record(Bytes& out, ByteView payload);

struct FileHeader {
  std::uint32_t version = 0;
  Bytes extra;
  std::uint64_t size = 0;  // bytes the header occupies
};

// Parses and checks the header of `contents` (the whole file) named `path`:
// Corruption for a bad magic or checksum, FailedPrecondition for a version
// other than `version`.
Result<FileHeader> decode_file_header(const std::string& path, ByteView contents,
                                      std::string_view magic, std::uint32_t version,
                                      std::string_view what);

struct ScanResult {
  std::uint64_t valid_end = 0;  // offset after the last good record
  bool torn_tail = false;       // bytes after valid_end were discarded
  std::uint64_t records = 0;
};

// Calls on_record(offset, payload) for each record after the header, in
// order; a non-OK status from it stops the scan and is returned.
using RecordVisitor = std::function<Status(std::uint64_t offset, ByteView payload)>;
Result<ScanResult> scan_records(const std::string& path, ByteView contents,
                                std::uint64_t header_size, bool allow_torn_tail,
                                const RecordVisitor& on_record);

// Decodes the single record at the start of `bytes` (a read of a known
// record); Corruption naming path and offset if its checksum fails.
Result<ByteView> decode_record_at(const std::string& path, std::uint64_t offset, ByteView bytes);

}  // namespace synod::persistence
