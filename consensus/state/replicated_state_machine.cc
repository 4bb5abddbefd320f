#include "consensus/state/replicated_state_machine.h"

namespace synod::consensus::state {

std::string ReplicatedStateMachine::apply(const Entry& entry) {
  ApplyResult result = store_.apply(entry);
  // The contract: no result bytes for entries no client proposed.
  if (entry.type != EntryType::kNormal && result.status.is_ok()) return {};
  return encode_apply_result(result);
}

Status ReplicatedStateMachine::restore(std::string_view data, LogIndex index) {
  if (data.empty()) {
    store_.reset(index);
    return Status::ok();
  }
  return store_.restore(data, index);
}

}  // namespace synod::consensus::state
