// The replicated-log types shared by the consensus core (which produces them)
// and persistence (which stores them). Both layers sit above common/, so the
// types live here; their wire and disk encodings live in proto/ and the
// backends.
#pragma once

#include <cstdint>
#include <string>

#include "common/ids.h"

namespace synod {

enum class EntryType : std::uint8_t {
  kNormal = 0,      // a state-machine command
  kConfChange = 1,  // a membership change (payload encoded by consensus/)
  kNoop = 2,        // the empty entry a new leader appends (Raft §8)
};

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNormal;
  std::string data;

  // Approximate in-memory/wire size used for byte-bounded batching.
  [[nodiscard]] std::size_t byte_size() const { return data.size() + 24; }
  bool operator==(const Entry&) const = default;
};

// What must be durable before any message that depends on it leaves a node
// (Raft Figure 2, "persistent state on all servers"; commit is persisted so a
// restart can apply up to it without waiting for a leader).
struct HardState {
  Term term;
  NodeId vote = kNoNode;
  LogIndex commit;
  bool operator==(const HardState&) const = default;
};

// Metadata of a state-machine snapshot: the last log position it covers and
// the cluster configuration at that point (opaque bytes encoded by consensus/).
struct SnapshotMeta {
  LogIndex index;
  Term term;
  std::string configuration;
  bool operator==(const SnapshotMeta&) const = default;
};

}  // namespace synod
