// StableStore: the small Raft state that must survive a restart besides the
// log (Raft Figure 2 "persistent state": currentTerm, votedFor; plus the
// commit index and the latest cluster configuration).
//
// Threading: thread-safe; the node calls save() from its storage thread and
// load() once at start-up.
#pragma once

#include <string>

#include "common/raft_types.h"
#include "common/status.h"

namespace synod::persistence {

struct StableState {
  HardState hard_state;
  std::string configuration;  // opaque bytes encoded by consensus/
  bool operator==(const StableState&) const = default;
};

class StableStore {
 public:
  virtual ~StableStore() = default;

  // Replaces the stored state. Durable on return: either the old or the new
  // state survives a crash at any moment, never a mix or nothing.
  virtual Status save(const StableState& state) = 0;

  // The last saved state, or a default StableState (term 0, no vote, commit 0,
  // empty configuration) if nothing was ever saved.
  [[nodiscard]] virtual Result<StableState> load() const = 0;
};

}  // namespace synod::persistence
