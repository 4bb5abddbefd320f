#include "persistence/fault_injection_env.h"

namespace synod::persistence {
namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> target)
      : env_(env), target_(std::move(target)) {}

  Status append(ByteView data) override {
    if (env_->writes_failing()) return io_error("injected write failure on " + path());
    std::uint64_t offset = target_->size();
    SYNOD_RETURN_IF_ERROR(target_->append(data));
    env_->on_append(path(), offset, data.size());
    return Status::ok();
  }
  Status sync() override {
    std::uint64_t size = target_->size();  // what this sync is guaranteed to cover
    SYNOD_RETURN_IF_ERROR(env_->on_sync(path(), size));
    return target_->sync();
  }
  Status close() override { return target_->close(); }
  const std::string& path() const override { return target_->path(); }
  std::uint64_t size() const override { return target_->size(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> target_;
};

}  // namespace

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::open_appendable(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(auto file, target()->open_appendable(path));
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = files_.try_emplace(path);
    if (inserted) {  // an existing file we have not seen: all of it counts as synced
      it->second.synced = it->second.size = it->second.last_write = file->size();
    }
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::create_writable(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(auto file, target()->create_writable(path));
  {
    std::lock_guard lock(mutex_);
    files_[path] = FileState{};
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

Status FaultInjectionEnv::remove_file(const std::string& path) {
  SYNOD_RETURN_IF_ERROR(target()->remove_file(path));
  std::lock_guard lock(mutex_);
  files_.erase(path);
  return Status::ok();
}

Status FaultInjectionEnv::rename_file(const std::string& from, const std::string& to) {
  SYNOD_RETURN_IF_ERROR(target()->rename_file(from, to));
  std::lock_guard lock(mutex_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    files_.erase(to);
  } else {
    files_[to] = it->second;
    files_.erase(it);
  }
  return Status::ok();
}

Status FaultInjectionEnv::truncate_file(const std::string& path, std::uint64_t size) {
  SYNOD_RETURN_IF_ERROR(target()->truncate_file(path, size));
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second = FileState{size, size, size};
  return Status::ok();
}

void FaultInjectionEnv::on_append(const std::string& path, std::uint64_t offset,
                                  std::uint64_t size) {
  std::lock_guard lock(mutex_);
  FileState& f = files_[path];
  f.last_write = offset;
  f.size = offset + size;
}

Status FaultInjectionEnv::on_sync(const std::string& path, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  if (fail_syncs_) return io_error("injected fdatasync failure on " + path);
  FileState& f = files_[path];
  f.synced = std::max(f.synced, size);
  return Status::ok();
}

bool FaultInjectionEnv::writes_failing() const {
  std::lock_guard lock(mutex_);
  return fail_writes_;
}

void FaultInjectionEnv::fail_syncs(bool fail) {
  std::lock_guard lock(mutex_);
  fail_syncs_ = fail;
}

void FaultInjectionEnv::fail_writes(bool fail) {
  std::lock_guard lock(mutex_);
  fail_writes_ = fail;
}

Status FaultInjectionEnv::drop_unsynced() { return crash(0, false, false); }

Status FaultInjectionEnv::tear_last_write(std::size_t keep, bool garbage) {
  return crash(keep, true, garbage);
}

Status FaultInjectionEnv::crash(std::size_t keep, bool tear, bool garbage) {
  std::lock_guard lock(mutex_);
  for (auto& [path, f] : files_) {
    if (f.size <= f.synced || !target()->exists(path)) continue;
    std::uint64_t new_size = f.synced;
    if (tear) {
      std::uint64_t last_start = std::max(f.last_write, f.synced);
      new_size = std::min(f.size, last_start + keep);
      if (garbage && new_size > last_start) {
        // Rewrite the surviving part of the torn write with garbage.
        SYNOD_RETURN_IF_ERROR(target()->truncate_file(path, last_start));
        SYNOD_ASSIGN_OR_RETURN(auto file, target()->open_appendable(path));
        SYNOD_RETURN_IF_ERROR(file->append(Bytes(new_size - last_start, '\x5a')));
        SYNOD_RETURN_IF_ERROR(file->sync());
      }
    }
    SYNOD_RETURN_IF_ERROR(target()->truncate_file(path, new_size));
    f = FileState{new_size, new_size, new_size};
  }
  return Status::ok();
}

}  // namespace synod::persistence
