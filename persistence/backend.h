// StorageBackend: the bundle of stores one node uses, and the factory that
// opens one by name ("file", "sqlite", "postgres", "redis", "memory").
//
// Every backend is namespaced by node id (a directory, a table prefix/schema,
// or a key prefix), so several nodes can share one database server or data
// directory without seeing each other's state.
//
// Backends register themselves by name with SYNOD_REGISTER_STORAGE_BACKEND in
// their own .cc file (persistence/CMakeLists.txt links the library whole, so
// a registration is never dropped by the linker); open_backend() looks the
// name up. persistence/ depends only on common/ and proto/: the node maps its
// config (config::PersistenceSection) to BackendOptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "persistence/applied_state_store.h"
#include "persistence/log_store.h"
#include "persistence/snapshot_store.h"
#include "persistence/stable_store.h"

namespace synod::persistence {

class Env;

struct BackendOptions {
  std::string backend = "file";               // a registered name
  NodeId node_id;                             // namespaces the stored state
  std::string data_dir;                       // file: <data_dir>/node-<id>/; sqlite default dir
  std::uint64_t segment_bytes = 64ull << 20;  // file: log segment size
  std::uint32_t snapshots_retained = 2;       // every backend
  std::string sqlite_path;                    // "": <data_dir>/synod.db
  std::string postgres_url;                   // e.g. postgresql://127.0.0.1:5432/synod
  std::string redis_address;                  // host:port
  std::uint32_t redis_db = 0;
  std::string redis_password;                         // secret: never log it
  std::chrono::milliseconds reconnect_interval{500};  // postgres, redis
  // File backend I/O; nullptr means Env::posix(). Tests pass a
  // FaultInjectionEnv. Not owned; must outlive the backend.
  Env* env = nullptr;
};

class StorageBackend {
 public:
  virtual ~StorageBackend() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;  // "file", ...
  virtual LogStore& log() = 0;
  virtual StableStore& stable() = 0;
  virtual SnapshotStore& snapshots() = 0;
  virtual AppliedStateStore& applied_state() = 0;
};

using BackendOpener = std::function<Result<std::unique_ptr<StorageBackend>>(const BackendOptions&)>;

// Opens (creating on first use) the backend options.backend names. Recovery
// happens here: a torn tail is repaired, corruption is a kCorruption status
// naming the file/table, and the node must stop on it. NotFound for an
// unregistered name (the message lists the registered ones).
Result<std::unique_ptr<StorageBackend>> open_backend(const BackendOptions& options);

// Registered backend names, sorted.
std::vector<std::string> registered_backends();

// Registers an opener under name; returns true (so it can initialise a
// static). A second registration of the same name is a programming error.
bool register_backend(std::string name, BackendOpener opener);

}  // namespace synod::persistence

// One line in a backend's .cc file:
//   SYNOD_REGISTER_STORAGE_BACKEND(sqlite, open_sqlite_backend);
// where open_sqlite_backend is a BackendOpener-compatible function.
#define SYNOD_REGISTER_STORAGE_BACKEND(name, opener)                   \
  [[maybe_unused]] static const bool synod_backend_registered_##name = \
      ::synod::persistence::register_backend(#name, opener)
