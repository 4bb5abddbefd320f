// FaultInjectionEnv: an Env wrapper that remembers, per file, how much was
// synced, so a test can simulate a power cut without one (after LevelDB's
// fault_injection_test):
//   - drop_unsynced(): every file loses the bytes written after its last
//     sync() (or truncate_file/rename-durable point);
//   - tear_last_write(keep): earlier unsynced writes survive, but each file's
//     last unsynced write keeps only its first `keep` bytes, optionally with
//     its surviving bytes replaced by garbage;
//   - fail_syncs / fail_writes: make the next calls return IoError, to test
//     that a store refuses writes after a failed sync.
// Call the crash methods after the store using the env is destroyed.
// Directory-entry durability (a created file vanishing because its directory
// was not synced) is not simulated.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "persistence/env.h"

namespace synod::persistence {

class FaultInjectionEnv final : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env* target = Env::posix()) : EnvWrapper(target) {}

  Result<std::unique_ptr<WritableFile>> open_appendable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> create_writable(const std::string& path) override;
  Status remove_file(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status truncate_file(const std::string& path, std::uint64_t size) override;

  // Power cut: truncates each file to its synced length.
  Status drop_unsynced();
  // Torn write: each file with unsynced data keeps everything but the tail of
  // its last write, of which only the first `keep` bytes survive (garbage
  // bytes instead of the real ones if `garbage`).
  Status tear_last_write(std::size_t keep, bool garbage = false);

  void fail_syncs(bool fail);
  void fail_writes(bool fail);

  // Called by the files this env hands out.
  void on_append(const std::string& path, std::uint64_t offset, std::uint64_t size);
  Status on_sync(const std::string& path, std::uint64_t size);
  [[nodiscard]] bool writes_failing() const;

 private:
  struct FileState {
    std::uint64_t synced = 0;      // bytes known durable
    std::uint64_t size = 0;        // bytes written
    std::uint64_t last_write = 0;  // offset where the last append started
  };
  Status crash(std::size_t keep, bool tear, bool garbage);

  mutable std::mutex mutex_;
  std::map<std::string, FileState> files_;  // GUARDED_BY(mutex_)
  bool fail_syncs_ = false;                 // GUARDED_BY(mutex_)
  bool fail_writes_ = false;                // GUARDED_BY(mutex_)
};

}  // namespace synod::persistence
