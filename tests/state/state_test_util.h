// Helpers shared by the state-machine tests: a store fed commands at
// consecutive log indexes.
#pragma once

#include <string>
#include <vector>

#include "common/raft_types.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/state_store.h"

namespace synod::consensus::state::testing {

// A StateStore plus the next log index to apply at.
class Harness {
 public:
  // Applies `command` at the next index with the given leader time.
  ApplyResult run(const proto::Command& command) {
    Entry entry;
    entry.term = Term(1);
    entry.index = next_;
    entry.data = encode_command(command);
    next_ = next_.next();
    return store.apply(entry);
  }
  ApplyResult op(proto::KvOp op, std::uint64_t now_ms = 0) {
    return run(make_kv_command(std::move(op), now_ms));
  }
  ApplyResult txn(std::vector<proto::KvOp> ops, std::uint64_t now_ms = 0) {
    return run(make_txn_command(std::move(ops), now_ms));
  }
  // The index the next command will be applied at.
  [[nodiscard]] std::uint64_t next_index() const { return next_.value(); }
  const KvEntry& entry(const std::string& key) const {
    const KvEntry* found = store.kv().find(key);
    static const KvEntry kMissing{};
    return found != nullptr ? *found : kMissing;
  }

  StateStore store;

 private:
  LogIndex next_{1};
};

}  // namespace synod::consensus::state::testing
