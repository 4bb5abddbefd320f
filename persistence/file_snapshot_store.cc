// Snapshot files: <dir>/<index:020>-<term:020>.snap
//
//   header:  record-file header, magic "SYNODSNP", version 1, extra =
//            index u64 | term u64 | configuration (rest of extra)
//   data:    the snapshot bytes, as appended
//   trailer: data size u64 | masked crc32c(data) u32 | "SNAPEND!"
//
// A snapshot is written to "<name>.tmp" and renamed into place by commit()
// after an fsync, then the directory is fsynced; leftover .tmp files are
// deleted at open. A file whose trailer is missing or whose size does not
// match header + data + trailer is reported as truncated, naming the file.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "persistence/crc32c.h"
#include "persistence/file_stores.h"
#include "persistence/record_file.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kSnapshotMagic = "SYNODSNP";
constexpr std::uint32_t kSnapshotVersion = 1;
constexpr std::string_view kTrailerMagic = "SNAPEND!";
constexpr std::uint64_t kTrailerBytes = 8 + 4 + kTrailerMagic.size();

std::string snapshot_name(const SnapshotMeta& meta) {
  char name[64];
  std::snprintf(name, sizeof name, "%020" PRIu64 "-%020" PRIu64 ".snap", meta.index.value(),
                meta.term.value());
  return name;
}

struct SnapshotFile {
  std::string path;
  SnapshotMeta meta;
  std::uint64_t data_offset = 0;
  std::uint64_t data_size = 0;
  std::uint32_t data_crc = 0;
};

Result<SnapshotFile> read_snapshot_file(Env& env, const std::string& path) {
  SnapshotFile f;
  f.path = path;
  SYNOD_ASSIGN_OR_RETURN(auto file, env.open_readable(path));
  SYNOD_ASSIGN_OR_RETURN(std::uint64_t size, env.file_size(path));
  SYNOD_ASSIGN_OR_RETURN(Bytes prefix, file->read(0, 16));
  if (prefix.size() < 16) return corruption("truncated snapshot " + path + ": header cut short");
  std::uint64_t header_bytes = 16 + load_u32(prefix.data() + 12) + 4;
  if (header_bytes > size) {
    return corruption("truncated snapshot " + path + ": header of " + std::to_string(header_bytes) +
                      " bytes in a file of " + std::to_string(size));
  }
  SYNOD_ASSIGN_OR_RETURN(Bytes head, file->read(0, header_bytes));
  SYNOD_ASSIGN_OR_RETURN(FileHeader header, decode_file_header(path, head, kSnapshotMagic,
                                                               kSnapshotVersion, "snapshot"));
  ByteReader extra(header.extra);
  auto index = extra.u64();
  auto term = extra.u64();
  if (!index || !term) return corruption(path + ": snapshot header too short");
  f.meta = {LogIndex(*index), Term(*term), Bytes(*extra.raw(extra.remaining()))};
  f.data_offset = header.size;
  SYNOD_ASSIGN_OR_RETURN(
      Bytes trailer, file->read(size >= kTrailerBytes ? size - kTrailerBytes : 0, kTrailerBytes));
  if (size < header.size + kTrailerBytes || trailer.substr(12) != kTrailerMagic) {
    return corruption("truncated snapshot " + path + ": the end marker is missing (file of " +
                      std::to_string(size) + " bytes)");
  }
  f.data_size = load_u64(trailer.data());
  f.data_crc = crc32c::unmask(load_u32(trailer.data() + 8));
  if (header.size + f.data_size + kTrailerBytes != size) {
    return corruption("truncated snapshot " + path + ": " + std::to_string(f.data_size) +
                      " data bytes announced, file has " + std::to_string(size) + " bytes");
  }
  return f;
}

class FileSnapshotReader final : public SnapshotReader {
 public:
  FileSnapshotReader(SnapshotFile file, std::unique_ptr<RandomAccessFile> reader)
      : file_(std::move(file)), reader_(std::move(reader)) {}
  const SnapshotMeta& meta() const override { return file_.meta; }
  std::uint64_t size() const override { return file_.data_size; }
  Result<Bytes> read_chunk(std::uint64_t max_bytes) override {
    std::uint64_t n = std::min(max_bytes, file_.data_size - position_);
    if (n == 0) {
      if (crc_ != file_.data_crc) {
        return corruption("snapshot " + file_.path + ": data checksum mismatch");
      }
      return Bytes();
    }
    SYNOD_ASSIGN_OR_RETURN(Bytes chunk, reader_->read(file_.data_offset + position_, n));
    if (chunk.size() != n) return corruption("truncated snapshot " + file_.path + ": short read");
    crc_ = crc32c::extend(crc_, chunk.data(), chunk.size());
    position_ += n;
    return chunk;
  }

 private:
  SnapshotFile file_;
  std::unique_ptr<RandomAccessFile> reader_;
  std::uint64_t position_ = 0;
  std::uint32_t crc_ = 0;
};

class FileSnapshotStore;

class FileSnapshotWriter final : public SnapshotWriter {
 public:
  FileSnapshotWriter(FileSnapshotStore* store, std::string path, std::unique_ptr<WritableFile> file)
      : store_(store), path_(std::move(path)), file_(std::move(file)) {}
  ~FileSnapshotWriter() override;
  Status append(ByteView chunk) override {
    if (!file_) return failed_precondition("snapshot writer already finished");
    crc_ = crc32c::extend(crc_, chunk.data(), chunk.size());
    size_ += chunk.size();
    return file_->append(chunk);
  }
  Status commit() override;

 private:
  FileSnapshotStore* store_;
  std::string path_;  // final name; the file is path_ + ".tmp" until commit
  std::unique_ptr<WritableFile> file_;
  std::uint64_t size_ = 0;
  std::uint32_t crc_ = 0;
};

class FileSnapshotStore final : public SnapshotStore {
 public:
  FileSnapshotStore(Env& env, std::string dir, std::uint32_t retained, BackendMetrics* metrics)
      : env_(env), dir_(std::move(dir)), retained_(std::max(1u, retained)), metrics_(metrics) {}

  Status open() {
    SYNOD_RETURN_IF_ERROR(env_.create_dirs(dir_));
    SYNOD_ASSIGN_OR_RETURN(auto names, env_.list_dir(dir_));
    for (const auto& name : names) {
      if (name.ends_with(".tmp")) SYNOD_RETURN_IF_ERROR(env_.remove_file(dir_ + "/" + name));
    }
    return Status::ok();
  }

  Result<std::unique_ptr<SnapshotWriter>> begin(const SnapshotMeta& meta) override {
    std::lock_guard lock(mutex_);
    SYNOD_ASSIGN_OR_RETURN(auto names, sorted_names());
    // The index comes from the name, so a damaged latest snapshot does not
    // stop the node from writing a good one after it.
    std::uint64_t latest = names.empty() ? 0 : std::strtoull(names[0].c_str(), nullptr, 10);
    if (meta.index.value() < latest) {
      return failed_precondition("snapshot index " + meta.index.to_string() +
                                 " below the latest snapshot's " + std::to_string(latest));
    }
    std::string path = dir_ + "/" + snapshot_name(meta);
    SYNOD_ASSIGN_OR_RETURN(auto file, env_.create_writable(path + ".tmp"));
    Bytes extra;
    put_u64(extra, meta.index.value());
    put_u64(extra, meta.term.value());
    extra += meta.configuration;
    SYNOD_RETURN_IF_ERROR(
        file->append(encode_file_header(kSnapshotMagic, kSnapshotVersion, extra)));
    return std::unique_ptr<SnapshotWriter>(new FileSnapshotWriter(this, path, std::move(file)));
  }

  Result<std::unique_ptr<SnapshotReader>> open_latest() override {
    std::lock_guard lock(mutex_);
    SYNOD_ASSIGN_OR_RETURN(auto names, sorted_names());
    if (names.empty()) return not_found("no snapshot in " + dir_);
    std::string path = dir_ + "/" + names[0];
    SYNOD_ASSIGN_OR_RETURN(SnapshotFile file, read_snapshot_file(env_, path));
    SYNOD_ASSIGN_OR_RETURN(auto reader, env_.open_readable(path));
    return std::unique_ptr<SnapshotReader>(new FileSnapshotReader(file, std::move(reader)));
  }

  Result<std::vector<SnapshotInfo>> list() const override {
    std::lock_guard lock(mutex_);
    SYNOD_ASSIGN_OR_RETURN(auto names, sorted_names());
    std::vector<SnapshotInfo> out;
    for (const auto& name : names) {
      SYNOD_ASSIGN_OR_RETURN(SnapshotFile file, read_snapshot_file(env_, dir_ + "/" + name));
      out.push_back({file.meta, file.data_size});
    }
    return out;
  }

  Status publish(WritableFile& file, const std::string& path, std::uint64_t size,
                 std::uint32_t crc) {
    StopWatch watch;
    Bytes trailer;
    put_u64(trailer, size);
    put_u32(trailer, crc32c::mask(crc));
    trailer += kTrailerMagic;
    SYNOD_RETURN_IF_ERROR(track(file.append(trailer)));
    SYNOD_RETURN_IF_ERROR(track(file.sync()));
    SYNOD_RETURN_IF_ERROR(track(file.close()));
    std::lock_guard lock(mutex_);
    SYNOD_RETURN_IF_ERROR(track(env_.rename_file(path + ".tmp", path)));
    SYNOD_RETURN_IF_ERROR(track(env_.sync_dir(dir_)));
    if (metrics_) {
      metrics_->observe_sync(watch.elapsed());
      metrics_->add_bytes_written(file.size());
    }
    // Retention: the newest `retained_` stay. An open reader keeps its file
    // readable after the unlink (POSIX semantics).
    SYNOD_ASSIGN_OR_RETURN(auto names, sorted_names());
    for (std::size_t i = retained_; i < names.size(); ++i) {
      SYNOD_RETURN_IF_ERROR(track(env_.remove_file(dir_ + "/" + names[i])));
    }
    return Status::ok();
  }

  void discard(const std::string& path) { (void)env_.remove_file(path + ".tmp"); }

 private:
  Status track(Status status) { return metrics_ ? metrics_->track("snapshot", status) : status; }

  // Snapshot file names, newest (highest index, then term) first.
  Result<std::vector<std::string>> sorted_names() const {
    SYNOD_ASSIGN_OR_RETURN(auto names, env_.list_dir(dir_));
    std::erase_if(names, [](const std::string& n) { return !n.ends_with(".snap"); });
    std::sort(names.rbegin(), names.rend());
    return names;
  }

  Env& env_;
  const std::string dir_;
  const std::uint32_t retained_;
  BackendMetrics* metrics_;
  mutable std::mutex mutex_;  // serialises directory changes
};

FileSnapshotWriter::~FileSnapshotWriter() {
  if (file_) {
    (void)file_->close();
    store_->discard(path_);
  }
}

Status FileSnapshotWriter::commit() {
  if (!file_) return failed_precondition("snapshot writer already finished");
  Status status = store_->publish(*file_, path_, size_, crc_);
  if (status.is_ok()) file_.reset();
  return status;
}

}  // namespace

Result<std::unique_ptr<SnapshotStore>> open_file_snapshot_store(Env& env, const std::string& dir,
                                                                std::uint32_t retained,
                                                                BackendMetrics* metrics) {
  auto store = std::make_unique<FileSnapshotStore>(env, dir, retained, metrics);
  SYNOD_RETURN_IF_ERROR(store->open());
  return std::unique_ptr<SnapshotStore>(std::move(store));
}

}  // namespace synod::persistence
