#include "persistence/record_file.h"

#include <algorithm>

#include "persistence/crc32c.h"

namespace synod::persistence {
namespace {

std::uint32_t record_crc(ByteView len_and_payload) {
  return crc32c::mask(crc32c::value(len_and_payload));
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

std::string where(const std::string& path, std::uint64_t offset) {
  return path + " at offset " + std::to_string(offset);
}

}  // namespace

Bytes encode_file_header(std::string_view magic, std::uint32_t version, ByteView extra) {
  Bytes out(magic);
  put_u32(out, version);
  put_bytes(out, extra);
  put_u32(out, crc32c::mask(crc32c::value(out)));
  return out;
}

void append_record(Bytes& out, ByteView payload) {
  std::size_t start = out.size();
  put_u32(out, 0);  // crc placeholder
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  std::uint32_t crc = record_crc(ByteView(out).substr(start + 4));
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>(crc >> (8 * i));
}

Result<FileHeader> decode_file_header(const std::string& path, ByteView contents,
                                      std::string_view magic, std::uint32_t version,
                                      std::string_view what) {
  if (contents.substr(0, magic.size()) != magic) {
    return corruption(path + ": not a synod " + std::string(what) + " (bad magic)");
  }
  ByteReader reader(contents.substr(magic.size()));
  auto file_version = reader.u32();
  auto extra = reader.bytes();
  std::size_t covered = magic.size() + reader.position();
  auto crc = reader.u32();
  if (!file_version || !extra || !crc) {
    return corruption(path + ": " + std::string(what) + " header cut short");
  }
  if (crc32c::unmask(*crc) != crc32c::value(contents.substr(0, covered))) {
    return corruption(path + ": " + std::string(what) + " header checksum mismatch");
  }
  if (*file_version != version) {
    return failed_precondition(path + ": " + std::string(what) + " format version " +
                               std::to_string(*file_version) + ", this build reads version " +
                               std::to_string(version));
  }
  return FileHeader{*file_version, Bytes(*extra), covered + 4};
}

Result<ScanResult> scan_records(const std::string& path, ByteView contents,
                                std::uint64_t header_size, bool allow_torn_tail,
                                const RecordVisitor& on_record) {
  ScanResult result;
  std::uint64_t pos = header_size;
  const std::uint64_t end = contents.size();
  while (pos < end) {
    std::string problem;
    bool at_tail = false;
    if (end - pos < kRecordHeaderBytes) {
      problem = "record header cut short";
      at_tail = true;
    } else {
      std::uint32_t crc = load_u32(contents.data() + pos);
      std::uint32_t len = load_u32(contents.data() + pos + 4);
      if (len > end - pos - kRecordHeaderBytes) {
        problem = "record length " + std::to_string(len) + " runs past the end";
        at_tail = true;
      } else {
        ByteView covered = contents.substr(pos + 4, 4 + len);
        std::uint64_t record_end = pos + kRecordHeaderBytes + len;
        if (crc32c::unmask(crc) == crc32c::value(covered)) {
          SYNOD_RETURN_IF_ERROR(on_record(pos, covered.substr(4)));
          ++result.records;
          pos = record_end;
          continue;
        }
        problem = "record checksum mismatch";
        at_tail = record_end == end || all_zero(contents.substr(pos));
      }
    }
    if (allow_torn_tail && at_tail) {
      result.torn_tail = true;
      break;
    }
    return corruption(
        where(path, pos) + ": " + problem +
        (at_tail ? " (in a file that must be complete)" : " before the end of the file"));
  }
  result.valid_end = pos;
  return result;
}

Result<ByteView> decode_record_at(const std::string& path, std::uint64_t offset, ByteView bytes) {
  if (bytes.size() < kRecordHeaderBytes) return corruption(where(path, offset) + ": short read");
  std::uint32_t crc = load_u32(bytes.data());
  std::uint32_t len = load_u32(bytes.data() + 4);
  if (len > bytes.size() - kRecordHeaderBytes) {
    return corruption(where(path, offset) + ": record length " + std::to_string(len) +
                      " runs past the read");
  }
  ByteView covered = bytes.substr(4, 4 + len);
  if (crc32c::unmask(crc) != crc32c::value(covered)) {
    return corruption(where(path, offset) + ": record checksum mismatch");
  }
  return covered.substr(4);
}

}  // namespace synod::persistence
