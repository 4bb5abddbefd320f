// The "file" backend (the embedded default): everything under
// <data_dir>/node-<id>/:
//   log/        segmented log (file_log_store.h)
//   stable      hard state + configuration (file_stores.h)
//   snapshots/  snapshot files
//   applied/    applied-state base + journal
//   FORMAT      "synod-file-backend 1\n", checked at open so a directory of
//               another layout or version is refused with a clear error.
#pragma once

#include <memory>
#include <string>

#include "persistence/backend.h"

namespace synod::persistence {

inline constexpr std::string_view kFileBackendFormat = "synod-file-backend 1\n";

// The directory the file backend of options.node_id uses.
std::string file_backend_dir(const BackendOptions& options);

Result<std::unique_ptr<StorageBackend>> open_file_backend(const BackendOptions& options);

}  // namespace synod::persistence
