// ApplyResult: what applying one log entry produced, for the client that
// proposed it. Encoded as proto::CommandResult when it crosses the wire (a
// follower forwarded the write) or the StateMachine interface (bytes).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/status.h"
#include "consensus/state/kv_entry.h"

namespace synod::consensus::state {

// One failed op of a rejected txn, as Consul's TxnError {OpIndex, What}.
struct TxnOpError {
  std::size_t op_index = 0;
  std::string what;
  bool operator==(const TxnOpError&) const = default;
};

// The outcome of a txn: committed (errors empty, results as Consul returns
// them: Value kept for get/get-tree, blanked for other verbs) or rolled back
// (errors set, results empty, nothing changed).
struct TxnOutcome {
  std::vector<KvEntry> results;
  std::vector<TxnOpError> errors;
  [[nodiscard]] bool committed() const { return errors.empty(); }
  bool operator==(const TxnOutcome&) const = default;
};

struct ApplyResult {
  LogIndex index;   // the entry's log index
  Status status;    // non-OK: the command failed as a whole (malformed, invalid session)
  bool ok = false;  // a single KV op: Consul's true/false
  TxnOutcome txn;   // a txn command
  bool operator==(const ApplyResult&) const = default;
};

Bytes encode_apply_result(const ApplyResult& result);
// Decodes untrusted bytes (a peer's reply).
Result<ApplyResult> decode_apply_result(ByteView bytes);

}  // namespace synod::consensus::state
