// The file backend's small stores. Each file is written with the durable
// write-temp/fsync/rename/fsync-dir pattern (write_file_durably), so a crash
// leaves the old or the new version, never a mix.
//
//   stable store:    <dir>/stable, a record file (magic "SYNODSTB") with one
//                    record: term u64 | vote u64 | commit u64 | configuration
//   snapshot store:  <dir>/snapshots/<index:020>-<term:020>.snap
//                    (file_snapshot_store.cc documents the layout)
//   applied state:   <dir>/applied/base (every record) + <dir>/applied/journal
//                    (one record per batch) (file_applied_state_store.cc)
#pragma once

#include <memory>
#include <string>

#include "persistence/applied_state_store.h"
#include "persistence/backend_metrics.h"
#include "persistence/env.h"
#include "persistence/snapshot_store.h"
#include "persistence/stable_store.h"

namespace synod::persistence {

Result<std::unique_ptr<StableStore>> open_file_stable_store(Env& env, const std::string& path,
                                                            BackendMetrics* metrics);
Result<std::unique_ptr<SnapshotStore>> open_file_snapshot_store(Env& env, const std::string& dir,
                                                                std::uint32_t retained,
                                                                BackendMetrics* metrics);
Result<std::unique_ptr<AppliedStateStore>> open_file_applied_state_store(Env& env,
                                                                         const std::string& dir,
                                                                         BackendMetrics* metrics);

}  // namespace synod::persistence
