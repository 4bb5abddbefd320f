// RaftKeyringPort: the replicated keyring's KeyringPort over the node's
// RaftNode (header-only: included by node.cc, which links both).
#pragma once

#include "consensus/state/keyring_table.h"
#include "node/raft_node.h"
#include "node/transport/keyring_handlers.h"

namespace synod::node {

class RaftKeyringPort final : public transport::KeyringPort {
 public:
  explicit RaftKeyringPort(RaftNode& raft) : raft_(raft) {}

  void propose(proto::KeyringVerb verb, std::string key, std::vector<std::string> others,
               Done done) override {
    proto::Command command = verb == proto::KEYRING_SEED
                                 ? consensus::state::make_keyring_seed_command(key, others)
                                 : consensus::state::make_keyring_command(verb, key);
    raft_.propose(std::move(command),
                  [done = std::move(done)](Result<consensus::state::ApplyResult> result) {
                    if (!result.is_ok()) return done(result.status());
                    if (!result->status.is_ok()) return done(result->status);
                    done(result->ok);
                  });
  }
  [[nodiscard]] transport::ReplicatedKeyring table() const override {
    const auto& table = raft_.state().keyring();
    transport::ReplicatedKeyring out;
    out.keys = table.keys();
    if (!table.empty()) out.primary = table.primary();
    out.index = table.index();
    return out;
  }
  [[nodiscard]] bool is_leader() const override {
    return raft_.bootstrapped() && raft_.is_leader();
  }
  [[nodiscard]] std::size_t num_nodes() const override {
    return raft_.bootstrapped() ? raft_.membership().members().size() : 1;
  }

 private:
  RaftNode& raft_;
};

}  // namespace synod::node
