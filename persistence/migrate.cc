#include "persistence/migrate.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "persistence/crc32c.h"
#include "persistence/db_codec.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kMagic = "SYNODDMP";
constexpr std::uint64_t kReadBytes = 4 << 20;
constexpr std::size_t kAppendBatch = 1024;

enum class RecordType : std::uint8_t {
  kHeader = 1,
  kStable = 2,
  kLogBase = 3,
  kEntry = 4,
  kSnapshot = 5,
  kSnapshotChunk = 6,
  kAppliedIndex = 7,
  kRecord = 8,
  kEnd = 9,
};

const char* type_name(RecordType t) {
  switch (t) {
    case RecordType::kHeader:
      return "header";
    case RecordType::kStable:
      return "hard state";
    case RecordType::kLogBase:
      return "log bounds";
    case RecordType::kEntry:
      return "log entry";
    case RecordType::kSnapshot:
      return "snapshot";
    case RecordType::kSnapshotChunk:
      return "snapshot chunk";
    case RecordType::kAppliedIndex:
      return "applied index";
    case RecordType::kRecord:
      return "applied-state record";
    case RecordType::kEnd:
      return "end";
  }
  return "unknown";
}

using Sink = std::function<Status(RecordType, const Bytes&)>;

// Emits the backend's whole state as dump records, in file order (no END).
Status emit_state(StorageBackend& b, const Sink& sink) {
  Bytes p;
  put_bytes(p, b.name());
  put_u64(p, static_cast<std::uint64_t>(std::time(nullptr)));
  SYNOD_RETURN_IF_ERROR(sink(RecordType::kHeader, p));

  SYNOD_ASSIGN_OR_RETURN(StableState stable, b.stable().load());
  p.clear();
  put_u64(p, stable.hard_state.term.value());
  put_u64(p, stable.hard_state.vote.value());
  put_u64(p, stable.hard_state.commit.value());
  put_bytes(p, stable.configuration);
  SYNOD_RETURN_IF_ERROR(sink(RecordType::kStable, p));

  LogStore& log = b.log();
  LogIndex first = log.first_index();
  LogIndex last = log.last_index();
  SYNOD_ASSIGN_OR_RETURN(Term base_term, log.term_at(first.prev()));
  p.clear();
  put_u64(p, first.value());
  put_u64(p, base_term.value());
  put_u64(p, last.value());
  SYNOD_RETURN_IF_ERROR(sink(RecordType::kLogBase, p));
  for (LogIndex lo = first; lo <= last;) {
    SYNOD_ASSIGN_OR_RETURN(auto entries, log.read(lo, last.next(), kReadBytes));
    for (const Entry& e : entries) {
      p.clear();
      put_u64(p, e.index.value());
      encode_entry(p, e);
      SYNOD_RETURN_IF_ERROR(sink(RecordType::kEntry, p));
    }
    lo += entries.size();
  }

  auto reader = b.snapshots().open_latest();
  if (reader.is_ok()) {
    const SnapshotMeta& meta = (*reader)->meta();
    p.clear();
    put_u64(p, meta.index.value());
    put_u64(p, meta.term.value());
    put_bytes(p, meta.configuration);
    put_u64(p, (*reader)->size());
    SYNOD_RETURN_IF_ERROR(sink(RecordType::kSnapshot, p));
    for (;;) {
      SYNOD_ASSIGN_OR_RETURN(Bytes chunk, (*reader)->read_chunk(1 << 20));
      if (chunk.empty()) break;
      SYNOD_RETURN_IF_ERROR(sink(RecordType::kSnapshotChunk, chunk));
    }
  } else if (reader.status().code() != StatusCode::kNotFound) {
    return reader.status();
  }

  SYNOD_ASSIGN_OR_RETURN(LogIndex applied, b.applied_state().applied_index());
  p.clear();
  put_u64(p, applied.value());
  SYNOD_RETURN_IF_ERROR(sink(RecordType::kAppliedIndex, p));
  return b.applied_state().load_all([&](Table t, const Record& r) {
    Bytes record;
    put_u8(record, static_cast<std::uint8_t>(t));
    put_bytes(record, r.key);
    encode_record(record, r);
    return sink(RecordType::kRecord, record);
  });
}

// Applies dump records to an empty backend.
class Importer {
 public:
  explicit Importer(StorageBackend& to) : to_(to) {}

  Status check_empty() {
    SYNOD_ASSIGN_OR_RETURN(StableState stable, to_.stable().load());
    SYNOD_ASSIGN_OR_RETURN(auto snapshots, to_.snapshots().list());
    SYNOD_ASSIGN_OR_RETURN(LogIndex applied, to_.applied_state().applied_index());
    if (!(stable == StableState{}) || to_.log().last_index() != LogIndex(0) || !snapshots.empty() ||
        applied != LogIndex(0)) {
      return failed_precondition("the target " + std::string(to_.name()) +
                                 " backend already holds state for this node; import needs an "
                                 "empty one");
    }
    return Status::ok();
  }

  Status add(RecordType type, const Bytes& payload) {
    ByteReader in(payload);
    if (type != RecordType::kSnapshotChunk && snapshot_) {
      SYNOD_RETURN_IF_ERROR(snapshot_->commit());
      snapshot_.reset();
    }
    switch (type) {
      case RecordType::kHeader:
      case RecordType::kEnd:
        return Status::ok();
      case RecordType::kStable: {
        auto term = in.u64(), vote = in.u64(), commit = in.u64();
        auto configuration = in.bytes();
        if (!term || !vote || !commit || !configuration) return malformed(type);
        return to_.stable().save(StableState{{Term(*term), NodeId(*vote), LogIndex(*commit)},
                                             std::string(*configuration)});
      }
      case RecordType::kLogBase: {
        auto first = in.u64(), term = in.u64(), last = in.u64();
        if (!first || !term || !last || *first == 0) return malformed(type);
        if (*first > 1) return to_.log().reset(LogIndex(*first - 1), Term(*term));
        return Status::ok();
      }
      case RecordType::kEntry: {
        auto index = in.u64();
        auto entry = index ? decode_entry(in, LogIndex(*index)) : std::nullopt;
        if (!entry) return malformed(type);
        entries_.push_back(std::move(*entry));
        if (entries_.size() >= kAppendBatch) return flush_entries();
        return Status::ok();
      }
      case RecordType::kSnapshot: {
        auto index = in.u64(), term = in.u64();
        auto configuration = in.bytes();
        if (!index || !term || !configuration) return malformed(type);
        SYNOD_ASSIGN_OR_RETURN(snapshot_,
                               to_.snapshots().begin(SnapshotMeta{LogIndex(*index), Term(*term),
                                                                  std::string(*configuration)}));
        return Status::ok();
      }
      case RecordType::kSnapshotChunk:
        if (!snapshot_) return malformed(type);
        return snapshot_->append(payload);
      case RecordType::kAppliedIndex: {
        auto index = in.u64();
        if (!index) return malformed(type);
        batch_.applied_index = LogIndex(*index);
        batch_.replace_all = true;
        return Status::ok();
      }
      case RecordType::kRecord: {
        auto table = in.u8();
        auto key = in.bytes();
        if (!table || !key || *table >= kAllTables.size()) return malformed(type);
        auto record = decode_record(in, std::string(*key));
        if (!record) return malformed(type);
        batch_.ops.push_back(RecordOp::put(static_cast<Table>(*table), std::move(*record)));
        return Status::ok();
      }
    }
    return malformed(type);
  }

  Status finish() {
    if (snapshot_) SYNOD_RETURN_IF_ERROR(snapshot_->commit());
    SYNOD_RETURN_IF_ERROR(flush_entries());
    SYNOD_RETURN_IF_ERROR(to_.log().sync());
    if (batch_.replace_all) SYNOD_RETURN_IF_ERROR(to_.applied_state().apply_batch(batch_));
    return Status::ok();
  }

 private:
  Status flush_entries() {
    if (entries_.empty()) return Status::ok();
    Status s = to_.log().append(entries_);
    entries_.clear();
    return s;
  }
  static Status malformed(RecordType type) {
    return corruption(std::string("malformed ") + type_name(type) + " record");
  }

  StorageBackend& to_;
  std::vector<Entry> entries_;
  std::unique_ptr<SnapshotWriter> snapshot_;
  AppliedBatch batch_;
};

// What the verification pass compares: every record but the header.
struct Digest {
  RecordType type;
  std::uint32_t crc;
  std::size_t size;
};

Status collect(StorageBackend& b, std::vector<Digest>& out) {
  return emit_state(b, [&](RecordType type, const Bytes& payload) {
    if (type != RecordType::kHeader) out.push_back({type, crc32c::value(payload), payload.size()});
    return Status::ok();
  });
}

Status compare(const std::vector<Digest>& expected, StorageBackend& actual,
               const std::string& source) {
  std::vector<Digest> got;
  SYNOD_RETURN_IF_ERROR(collect(actual, got).with_context("verification read"));
  for (std::size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
    if (i >= expected.size() || i >= got.size() || expected[i].type != got[i].type ||
        expected[i].crc != got[i].crc || expected[i].size != got[i].size) {
      const Digest& d = i < expected.size() ? expected[i] : got[i];
      return internal_error(
          "verification failed: record " + std::to_string(i + 1) + " (" + type_name(d.type) +
          ") differs between " + source + " and the " + std::string(actual.name()) + " backend (" +
          std::to_string(expected.size()) + " vs " + std::to_string(got.size()) + " records)");
    }
  }
  return Status::ok();
}

void put_record(Bytes& out, RecordType type, ByteView payload) {
  std::size_t start = out.size();
  put_u8(out, static_cast<std::uint8_t>(type));
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  put_u32(out, crc32c::value(ByteView(out).substr(start)));
}

Status write_file_durably(const std::string& path, const Bytes& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("creating " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("writing " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("syncing " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return io_error("renaming " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

// Checks the whole file and calls visit for every record (END excluded).
Status parse_file(const std::string& path, const Bytes& data, const Sink& visit) {
  auto bad = [&](std::size_t offset, const std::string& what) {
    return corruption("export file " + path + ": " + what + " at offset " + std::to_string(offset));
  };
  ByteReader in(data);
  auto magic = in.raw(kMagic.size());
  if (!magic || *magic != kMagic) return bad(0, "not a synod export (bad magic)");
  auto version = in.u32();
  if (!version || *version != kExportFormatVersion) {
    return bad(8, "format version " + std::to_string(version.value_or(0)) +
                      " (this synod reads version " + std::to_string(kExportFormatVersion) + ")");
  }
  std::uint64_t count = 0;
  while (!in.done()) {
    std::size_t offset = in.position();
    auto type = in.u8();
    auto length = in.u32();
    auto payload = length ? in.raw(*length) : std::nullopt;
    auto crc = in.u32();
    if (!type || !length || !payload || !crc) return bad(offset, "truncated record");
    if (crc32c::value(ByteView(data).substr(offset, 5 + *length)) != *crc) {
      return bad(offset, "checksum mismatch in record " + std::to_string(count + 1));
    }
    if (*type == static_cast<std::uint8_t>(RecordType::kEnd)) {
      ByteReader end(*payload);
      if (end.u64() != count) return bad(offset, "record count mismatch");
      if (!in.done()) return bad(in.position(), "data after the end record");
      return Status::ok();
    }
    if (*type < 1 || *type > static_cast<std::uint8_t>(RecordType::kEnd)) {
      return bad(offset, "unknown record type " + std::to_string(*type));
    }
    Status s = visit(static_cast<RecordType>(*type), Bytes(*payload));
    if (!s.is_ok())
      return s.with_context("export file " + path + " offset " + std::to_string(offset));
    ++count;
  }
  return bad(data.size(), "file ends before its end record (truncated)");
}

}  // namespace

Status export_state(StorageBackend& from, const std::string& out_file) {
  Bytes data(kMagic);
  put_u32(data, kExportFormatVersion);
  std::uint64_t count = 0;
  SYNOD_RETURN_IF_ERROR(emit_state(from, [&](RecordType type, const Bytes& payload) {
                          put_record(data, type, payload);
                          ++count;
                          return Status::ok();
                        }).with_context("exporting the " + std::string(from.name()) + " backend"));
  Bytes end;
  put_u64(end, count);
  put_record(data, RecordType::kEnd, end);
  return write_file_durably(out_file, data);
}

Status import_state(const std::string& in_file, StorageBackend& to) {
  std::ifstream in(in_file, std::ios::binary);
  if (!in) return not_found("export file " + in_file + " cannot be opened");
  std::stringstream buffer;
  buffer << in.rdbuf();
  Bytes data = buffer.str();
  // Pass 1: the whole file is intact, before anything is written.
  std::vector<Digest> expected;
  SYNOD_RETURN_IF_ERROR(parse_file(in_file, data, [&](RecordType type, const Bytes& payload) {
    if (type != RecordType::kHeader) {
      expected.push_back({type, crc32c::value(payload), payload.size()});
    }
    return Status::ok();
  }));
  Importer importer(to);
  SYNOD_RETURN_IF_ERROR(importer.check_empty());
  SYNOD_RETURN_IF_ERROR(parse_file(in_file, data, [&](RecordType type, const Bytes& payload) {
    return importer.add(type, payload);
  }));
  SYNOD_RETURN_IF_ERROR(importer.finish());
  return compare(expected, to, "export file " + in_file);
}

Status migrate(StorageBackend& from, StorageBackend& to) {
  Importer importer(to);
  SYNOD_RETURN_IF_ERROR(importer.check_empty());
  SYNOD_RETURN_IF_ERROR(emit_state(
      from, [&](RecordType type, const Bytes& payload) { return importer.add(type, payload); }));
  SYNOD_RETURN_IF_ERROR(importer.finish());
  std::vector<Digest> expected;
  SYNOD_RETURN_IF_ERROR(collect(from, expected).with_context("verification read"));
  return compare(expected, to, "the " + std::string(from.name()) + " backend");
}

}  // namespace synod::persistence
