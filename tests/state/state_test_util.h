// Helpers shared by the state-machine tests: a store fed commands at
// consecutive log indexes.
#pragma once

#include <string>
#include <vector>

#include "common/raft_types.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/registry_codec.h"
#include "consensus/state/state_store.h"

namespace synod::consensus::state::testing {

// A StateStore plus the next log index to apply at.
class Harness {
 public:
  Harness() = default;
  // Registers node "test-node" and creates `sessions` on it (no checks, no
  // TTL, no lock-delay) at indexes 1..sessions.size() + 1, so KV locks can
  // use them.
  explicit Harness(const std::vector<std::string>& sessions) {
    add_node("test-node");
    for (const auto& id : sessions) add_session(id, "test-node");
  }
  ApplyResult add_node(const std::string& name, const std::string& address = "10.0.0.1") {
    proto::CatalogRegister reg;
    reg.mutable_node()->set_node(name);
    reg.mutable_node()->set_address(address);
    return run(make_register_command(std::move(reg)));
  }
  ApplyResult add_session(const std::string& id, const std::string& node,
                          std::uint64_t lock_delay_ms = 0,
                          proto::SessionBehavior behavior = proto::SESSION_RELEASE,
                          std::vector<std::string> node_checks = {}) {
    proto::Session session;
    session.set_id(id);
    session.set_node(node);
    session.set_lock_delay_ms(lock_delay_ms);
    session.set_behavior(behavior);
    for (auto& check : node_checks) session.add_node_checks(std::move(check));
    return run(make_session_create_command(std::move(session)));
  }
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
