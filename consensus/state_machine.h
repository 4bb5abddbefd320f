// StateMachine: the replicated state machine the node applies committed
// entries to (Raft §5, "replicated state machines"). The core never calls it;
// the node (or simulator) feeds it Ready::committed_entries in order.
//
// Contract: apply() is deterministic (same entries in the same order give the
// same state and results on every node); snapshot() captures everything
// applied so far; restore() replaces the state with a snapshot's (empty data
// means the empty initial state, see MemoryStorage::bootstrap).
#pragma once

#include <string>
#include <string_view>

#include "common/raft_types.h"
#include "common/status.h"

namespace synod::consensus {

class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Applies one committed entry and returns its result bytes for the client
  // that proposed it (empty for no-op and conf-change entries).
  virtual std::string apply(const Entry& entry) = 0;
  // Index of the last entry applied (or restored from a snapshot).
  [[nodiscard]] virtual LogIndex applied_index() const = 0;
  // Serialises the whole state as of applied_index().
  [[nodiscard]] virtual std::string snapshot() const = 0;
  // Replaces the state with a snapshot's; `index` becomes applied_index().
  // Bad bytes give a Status and leave the state unchanged.
  virtual Status restore(std::string_view data, LogIndex index) = 0;
};

}  // namespace synod::consensus
