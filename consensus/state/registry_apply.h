// The apply path of the registry and session commands, with Consul's
// cross-table rules (docs/state-machine.md, "Registry"):
//
// - catalog register: creates/updates the node, then the service, then the
//   checks; all validated first, so an error changes nothing.
// - deregistering a node removes its services and checks and invalidates its
//   sessions; removing a check invalidates the sessions bound to it.
// - a check becoming critical invalidates the sessions bound to it.
// - session create: the node and every bound check must exist and the
//   checks must not be critical.
// - invalidation (destroy, TTL expiry, cascades): the session goes and the
//   KV keys it holds are released (behavior release) or deleted (delete),
//   with a lock-delay of leader_time_ms + LockDelay.
//
// Deterministic: uses only the command and the replicated tables.
#pragma once

#include "common/status.h"
#include "consensus/state/catalog_table.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/kv_store.h"
#include "consensus/state/session_table.h"

namespace synod::consensus::state {

struct RegistryTables {
  CatalogTable& catalog;
  SessionTable& sessions;
  KvStore& kv;
};

// Applies a registry/session command (already validated by decode). The
// bool is the result's `ok`: destroy of a missing session, or a status
// update / invalidation naming something that no longer exists, gives false;
// an error Status means nothing changed.
Result<bool> apply_registry_command(const proto::Command& command, RegistryTables tables,
                                    const KvApplyContext& ctx);

}  // namespace synod::consensus::state
