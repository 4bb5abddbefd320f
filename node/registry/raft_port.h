// RaftPort: the registry's ConsensusPort over the node's RaftNode
// (header-only: included by node.cc, which links both).
#pragma once

#include "node/raft_node.h"
#include "node/registry/registry_service.h"

namespace synod::node::registry {

class RaftPort final : public ConsensusPort {
 public:
  explicit RaftPort(RaftNode& raft) : raft_(raft) {}

  void propose(proto::Command command, ApplyCallback done) override {
    raft_.propose(std::move(command), std::move(done));
  }
  void read_barrier(std::function<void(Status)> done) override {
    raft_.read_barrier(std::move(done));
  }
  [[nodiscard]] const consensus::state::StateStore& state() const override { return raft_.state(); }
  [[nodiscard]] bool is_leader() const override {
    return raft_.bootstrapped() && raft_.is_leader();
  }
  [[nodiscard]] std::uint64_t term() const override {
    return raft_.bootstrapped() ? raft_.term().value() : 0;
  }
  [[nodiscard]] http::LeaderView leader_view() const override {
    http::LeaderView view;
    view.known_leader = raft_.bootstrapped() && raft_.leader() != kNoNode;
    view.last_contact_ms = raft_.last_contact_ms();
    return view;
  }

 private:
  RaftNode& raft_;
};

}  // namespace synod::node::registry
