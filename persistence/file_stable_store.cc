#include <mutex>

#include "persistence/file_stores.h"
#include "persistence/record_file.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kStableMagic = "SYNODSTB";
constexpr std::uint32_t kStableVersion = 1;

class FileStableStore final : public StableStore {
 public:
  FileStableStore(Env& env, std::string path, BackendMetrics* metrics)
      : env_(env), path_(std::move(path)), metrics_(metrics) {}

  Status save(const StableState& state) override {
    Bytes payload;
    put_u64(payload, state.hard_state.term.value());
    put_u64(payload, state.hard_state.vote.value());
    put_u64(payload, state.hard_state.commit.value());
    payload += state.configuration;
    Bytes file = encode_file_header(kStableMagic, kStableVersion, {});
    append_record(file, payload);
    std::lock_guard lock(mutex_);
    StopWatch watch;
    Status status = write_file_durably(env_, path_, file);
    if (metrics_) {
      if (!status.is_ok()) metrics_->count_error("stable");
      if (status.is_ok()) {
        metrics_->observe_sync(watch.elapsed());
        metrics_->add_bytes_written(file.size());
      }
    }
    if (status.is_ok()) cached_ = state;
    return status;
  }

  Result<StableState> load() const override {
    std::lock_guard lock(mutex_);
    return cached_;
  }

  Status open() {
    if (!env_.exists(path_)) return Status::ok();
    SYNOD_ASSIGN_OR_RETURN(Bytes contents, env_.read_file(path_));
    SYNOD_ASSIGN_OR_RETURN(FileHeader header, decode_file_header(path_, contents, kStableMagic,
                                                                 kStableVersion, "stable store"));
    std::optional<StableState> state;
    SYNOD_ASSIGN_OR_RETURN(
        ScanResult scan,
        scan_records(path_, contents, header.size, false, [&](std::uint64_t, ByteView payload) {
          ByteReader r(payload);
          auto term = r.u64();
          auto vote = r.u64();
          auto commit = r.u64();
          if (!term || !vote || !commit) return corruption(path_ + ": stable record too short");
          state = StableState{{Term(*term), NodeId(*vote), LogIndex(*commit)},
                              Bytes(*r.raw(r.remaining()))};
          return Status::ok();
        }));
    if (scan.records != 1 || !state) {
      return corruption(path_ + ": expected one stable record, found " +
                        std::to_string(scan.records));
    }
    cached_ = *state;
    return Status::ok();
  }

 private:
  Env& env_;
  const std::string path_;
  BackendMetrics* metrics_;
  mutable std::mutex mutex_;
  StableState cached_;  // GUARDED_BY(mutex_); equals the file's content
};

}  // namespace

Result<std::unique_ptr<StableStore>> open_file_stable_store(Env& env, const std::string& path,
                                                            BackendMetrics* metrics) {
  auto store = std::make_unique<FileStableStore>(env, path, metrics);
  SYNOD_RETURN_IF_ERROR(store->open());
  return std::unique_ptr<StableStore>(std::move(store));
}

}  // namespace synod::persistence
