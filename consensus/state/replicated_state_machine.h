// ReplicatedStateMachine: the StateStore behind the Raft core's
// consensus::StateMachine interface (consensus/state_machine.h), for the node
// and the simulator. apply() returns encode_apply_result() bytes (empty for
// no-op and conf-change entries); decode them with decode_apply_result().
//
// The node also uses store() directly: reads for the HTTP API, the change
// listener for blocking queries, and records_for() for the applied-state
// store after each batch.
#pragma once

#include <string>
#include <string_view>

#include "consensus/state/state_store.h"
#include "consensus/state_machine.h"

namespace synod::consensus::state {

class ReplicatedStateMachine final : public consensus::StateMachine {
 public:
  std::string apply(const Entry& entry) override;
  [[nodiscard]] LogIndex applied_index() const override { return store_.applied_index(); }
  [[nodiscard]] std::string snapshot() const override { return store_.snapshot(); }
  // Empty data: the empty initial state at `index`.
  Status restore(std::string_view data, LogIndex index) override;

  StateStore& store() { return store_; }
  [[nodiscard]] const StateStore& store() const { return store_; }

 private:
  StateStore store_;
};

}  // namespace synod::consensus::state
