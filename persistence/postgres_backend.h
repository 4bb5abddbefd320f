// The "postgres" backend (libpqxx): every store in the database that
// BackendOptions::postgres_url names, rows keyed by node id (synod_node_id) so
// several nodes share one server. The schema (persistence/db_sql_schema.h) is
// created on first start and its version checked at every open. One
// transaction per log sync (the batch goes in as one multi-row INSERT from
// unnest()ed arrays), per stable save, per applied batch and per snapshot
// publish, with synchronous_commit = on, so COMMIT returns after the WAL
// flush. After an outage the connection is re-established by itself: writes
// fail with Unavailable meanwhile and resume afterwards (docs/persistence.md
// "## postgres").
#pragma once

#include <memory>

#include "persistence/backend.h"

namespace synod::persistence {

Result<std::unique_ptr<StorageBackend>> open_postgres_backend(const BackendOptions& options);

}  // namespace synod::persistence
