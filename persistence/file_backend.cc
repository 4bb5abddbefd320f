#include "persistence/file_backend.h"

#include "persistence/backend_metrics.h"
#include "persistence/env.h"
#include "persistence/file_log_store.h"
#include "persistence/file_stores.h"

namespace synod::persistence {
namespace {

class FileBackend final : public StorageBackend {
 public:
  FileBackend() : metrics_("file") {}
  std::string_view name() const override { return "file"; }
  LogStore& log() override { return *log_; }
  StableStore& stable() override { return *stable_; }
  SnapshotStore& snapshots() override { return *snapshots_; }
  AppliedStateStore& applied_state() override { return *applied_; }

  Status open(const BackendOptions& options) {
    Env& env = options.env ? *options.env : *Env::posix();
    const std::string dir = file_backend_dir(options);
    SYNOD_RETURN_IF_ERROR(env.create_dirs(dir));
    SYNOD_RETURN_IF_ERROR(check_format(env, dir));
    SYNOD_ASSIGN_OR_RETURN(
        log_, open_file_log_store(env, dir + "/log", options.segment_bytes, &metrics_));
    SYNOD_ASSIGN_OR_RETURN(stable_, open_file_stable_store(env, dir + "/stable", &metrics_));
    SYNOD_ASSIGN_OR_RETURN(
        snapshots_,
        open_file_snapshot_store(env, dir + "/snapshots", options.snapshots_retained, &metrics_));
    SYNOD_ASSIGN_OR_RETURN(applied_,
                           open_file_applied_state_store(env, dir + "/applied", &metrics_));
    // The directories themselves may have just been created: make their
    // entries durable too, or a power cut could lose a whole fresh log.
    SYNOD_RETURN_IF_ERROR(env.sync_dir(dir));
    return env.sync_dir(options.data_dir.empty() ? "." : options.data_dir);
  }

 private:
  static Status check_format(Env& env, const std::string& dir) {
    const std::string path = dir + "/FORMAT";
    if (!env.exists(path)) return write_file_durably(env, path, kFileBackendFormat);
    SYNOD_ASSIGN_OR_RETURN(Bytes format, env.read_file(path));
    if (format != kFileBackendFormat) {
      std::string shown = format.substr(0, format.find('\n')).substr(0, 80);
      return failed_precondition(
          path + ": data format '" + shown + "', this build reads '" +
          std::string(kFileBackendFormat.substr(0, kFileBackendFormat.size() - 1)) + "'");
    }
    return Status::ok();
  }

  BackendMetrics metrics_;
  std::unique_ptr<LogStore> log_;
  std::unique_ptr<StableStore> stable_;
  std::unique_ptr<SnapshotStore> snapshots_;
  std::unique_ptr<AppliedStateStore> applied_;
};

}  // namespace

std::string file_backend_dir(const BackendOptions& options) {
  std::string root = options.data_dir.empty() ? "." : options.data_dir;
  return root + "/node-" + options.node_id.to_string();
}

Result<std::unique_ptr<StorageBackend>> open_file_backend(const BackendOptions& options) {
  auto backend = std::make_unique<FileBackend>();
  SYNOD_RETURN_IF_ERROR(backend->open(options));
  return std::unique_ptr<StorageBackend>(std::move(backend));
}

SYNOD_REGISTER_STORAGE_BACKEND(file, open_file_backend);

}  // namespace synod::persistence
