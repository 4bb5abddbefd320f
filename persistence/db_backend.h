// DbBackend: the StorageBackend that bundles the four stores of a database
// backend (sqlite, postgres, redis). Each store is built from the shared
// connection and the node's namespace (a node id or a key prefix); load()
// reads the log bounds and drops chunks of snapshots that were never published.
#pragma once

#include <cstdint>
#include <string_view>

#include "persistence/backend.h"

namespace synod::persistence {

template <typename Log, typename Stable, typename Snapshots, typename Applied>
class DbBackend : public StorageBackend {
 public:
  template <typename Connection, typename Namespace>
  DbBackend(std::string_view name, const Connection& c, const Namespace& ns, std::uint32_t retained)
      : name_(name), log_(c, ns), stable_(c, ns), snapshots_(c, ns, retained), applied_(c, ns) {}

  std::string_view name() const override { return name_; }
  LogStore& log() override { return log_; }
  StableStore& stable() override { return stable_; }
  SnapshotStore& snapshots() override { return snapshots_; }
  AppliedStateStore& applied_state() override { return applied_; }

  Status load() {
    SYNOD_RETURN_IF_ERROR(log_.load());
    return snapshots_.db_delete_unpublished();
  }

 private:
  std::string_view name_;
  Log log_;
  Stable stable_;
  Snapshots snapshots_;
  Applied applied_;
};

}  // namespace synod::persistence
