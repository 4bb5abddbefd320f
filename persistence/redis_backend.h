// The "redis" backend (hiredis): every store under the key prefix
// `synod:<node_id>:` on the server BackendOptions::redis_address names, so
// several nodes share one server. Each log sync, stable save, applied batch
// and snapshot publish is ONE MULTI/EXEC transaction.
//
// Durability needs the server's `appendonly yes` + `appendfsync always`:
// only then has an EXEC reached the disk when it returns. open checks
// `CONFIG GET appendonly/appendfsync` and, when either differs (or CONFIG is
// disabled), prints a warning to stderr, sets the gauge
// synod_persistence_redis_durable{node} to 0 and reports it through
// redis_durability_warning(). After an outage the connection is
// re-established by itself (docs/persistence.md "## redis").
#pragma once

#include <memory>
#include <string>

#include "persistence/backend.h"

namespace synod::persistence {

Result<std::unique_ptr<StorageBackend>> open_redis_backend(const BackendOptions& options);

// The warning the redis backend found at open ("" if the server is durable or
// `backend` is not a redis backend).
std::string redis_durability_warning(const StorageBackend& backend);

}  // namespace synod::persistence
