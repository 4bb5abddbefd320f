// The POSIX Env: plain file descriptors, pwrite-free appends (write(2) on an
// O_APPEND descriptor), fdatasync for data and fsync for directories.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "persistence/env.h"

namespace synod::persistence {
namespace {

Status os_error(const std::string& what, const std::string& path, int err) {
  return io_error(what + " " + path + ": " + std::strerror(err));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, std::uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(ByteView data) override {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error("write", path_, errno);
      }
      p += n;
      left -= static_cast<std::size_t>(n);
      size_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
    return Status::ok();
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return os_error("fdatasync", path_, errno);
    return Status::ok();
  }

  Status close() override {
    if (fd_ < 0) return Status::ok();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return os_error("close", path_, errno);
    return Status::ok();
  }

  const std::string& path() const override { return path_; }
  std::uint64_t size() const override { return size_.load(std::memory_order_relaxed); }

 private:
  std::string path_;
  int fd_;
  std::atomic<std::uint64_t> size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<Bytes> read(std::uint64_t offset, std::size_t n) const override {
    Bytes out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return os_error("pread", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> open_appendable(const std::string& path) override {
    return open_writer(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
  }
  Result<std::unique_ptr<WritableFile>> create_writable(const std::string& path) override {
    return open_writer(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC);
  }
  Result<std::unique_ptr<RandomAccessFile>> open_readable(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  Result<Bytes> read_file(const std::string& path) override {
    SYNOD_ASSIGN_OR_RETURN(auto file, open_readable(path));
    SYNOD_ASSIGN_OR_RETURN(std::uint64_t size, file_size(path));
    return file->read(0, size);
  }
  Result<std::uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return os_error("stat", path, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }
  bool exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return os_error("opendir", dir, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }
  Status create_dirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return io_error("mkdir " + dir + ": " + ec.message());
    return Status::ok();
  }
  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return os_error("unlink", path, errno);
    return Status::ok();
  }
  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return os_error("rename to " + to, from, errno);
    return Status::ok();
  }
  Status truncate_file(const std::string& path, std::uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return os_error("open", path, errno);
    Status status;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      status = os_error("ftruncate", path, errno);
    } else if (::fsync(fd) != 0) {
      status = os_error("fsync", path, errno);
    }
    ::close(fd);
    return status;
  }
  Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_error("open dir", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return os_error("fsync dir", dir, err);
    return Status::ok();
  }

 private:
  static Result<std::unique_ptr<WritableFile>> open_writer(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return os_error("open", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return os_error("fstat", path, err);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<std::uint64_t>(st.st_size)));
  }
};

}  // namespace

Env* Env::posix() {
  static PosixEnv env;
  return &env;
}

Status write_file_durably(Env& env, const std::string& path, ByteView data) {
  std::string tmp = path + ".tmp";
  {
    SYNOD_ASSIGN_OR_RETURN(auto file, env.create_writable(tmp));
    SYNOD_RETURN_IF_ERROR(file->append(data));
    SYNOD_RETURN_IF_ERROR(file->sync());
    SYNOD_RETURN_IF_ERROR(file->close());
  }
  SYNOD_RETURN_IF_ERROR(env.rename_file(tmp, path));
  return env.sync_dir(std::filesystem::path(path).parent_path().string());
}

}  // namespace synod::persistence
