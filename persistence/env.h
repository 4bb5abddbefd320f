// Env: the file-system operations the file backend needs, behind one
// abstract class (after leveldb::Env), so tests can wrap it: EnvWrapper
// forwards everything, and FaultInjectionEnv (fault_injection_env.h) drops
// unsynced writes and tears the last write to simulate a power cut.
//
// Paths are plain strings. Every call returns a Status naming the path and
// the OS error. Threading: Env methods are thread-safe; a file object is used
// by one thread at a time unless noted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::persistence {

// A file written sequentially from its current end.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends data at the end (a full write or an error).
  virtual Status append(ByteView data) = 0;
  // fdatasync: everything appended so far reaches the disk.
  virtual Status sync() = 0;
  virtual Status close() = 0;
  [[nodiscard]] virtual const std::string& path() const = 0;
  // Bytes in the file including appended-but-unsynced data.
  [[nodiscard]] virtual std::uint64_t size() const = 0;
};

// A file read at offsets; read() may be called from several threads at once.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset; fewer only at the end of the file.
  [[nodiscard]] virtual Result<Bytes> read(std::uint64_t offset, std::size_t n) const = 0;
  [[nodiscard]] virtual const std::string& path() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation.
  static Env* posix();

  // Opens path for appending, creating it (empty) if missing.
  virtual Result<std::unique_ptr<WritableFile>> open_appendable(const std::string& path) = 0;
  // Creates or truncates path for writing.
  virtual Result<std::unique_ptr<WritableFile>> create_writable(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> open_readable(const std::string& path) = 0;

  virtual Result<Bytes> read_file(const std::string& path) = 0;
  virtual Result<std::uint64_t> file_size(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, unsorted.
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  // Creates dir and missing parents; OK if it exists.
  virtual Status create_dirs(const std::string& dir) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (POSIX rename).
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  // Shrinks path to size bytes, durably (ftruncate + fsync).
  virtual Status truncate_file(const std::string& path, std::uint64_t size) = 0;
  // fsyncs the directory so created, renamed and removed entries persist.
  virtual Status sync_dir(const std::string& dir) = 0;
};

// Forwards every call to a target Env; override what a test needs.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> open_appendable(const std::string& path) override {
    return target_->open_appendable(path);
  }
  Result<std::unique_ptr<WritableFile>> create_writable(const std::string& path) override {
    return target_->create_writable(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> open_readable(const std::string& path) override {
    return target_->open_readable(path);
  }
  Result<Bytes> read_file(const std::string& path) override { return target_->read_file(path); }
  Result<std::uint64_t> file_size(const std::string& path) override {
    return target_->file_size(path);
  }
  bool exists(const std::string& path) override { return target_->exists(path); }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    return target_->list_dir(dir);
  }
  Status create_dirs(const std::string& dir) override { return target_->create_dirs(dir); }
  Status remove_file(const std::string& path) override { return target_->remove_file(path); }
  Status rename_file(const std::string& from, const std::string& to) override {
    return target_->rename_file(from, to);
  }
  Status truncate_file(const std::string& path, std::uint64_t size) override {
    return target_->truncate_file(path, size);
  }
  Status sync_dir(const std::string& dir) override { return target_->sync_dir(dir); }

 private:
  Env* target_;
};

// Writes path durably: data to "<path>.tmp", fsync, rename over path, fsync
// the directory. A crash at any point leaves the old or the new content.
Status write_file_durably(Env& env, const std::string& path, ByteView data);

}  // namespace synod::persistence
