// The "sqlite" backend: every store in one SQLite file (BackendOptions::
// sqlite_path, default <data_dir>/synod.db), rows keyed by node id so nodes can
// share a file. WAL journal with synchronous=FULL: a COMMIT returns after the
// WAL is fsynced. One transaction per log sync (group commit), per stable
// save, per applied batch and per snapshot publish. The applied-state tables
// have real columns, so `sqlite3 synod.db 'SELECT * FROM sessions'` works.
// Schema: persistence/db_sql_schema.h; docs/persistence.md "## sqlite".
#pragma once

#include <memory>

#include "persistence/backend.h"

namespace synod::persistence {

Result<std::unique_ptr<StorageBackend>> open_sqlite_backend(const BackendOptions& options);

}  // namespace synod::persistence
