// The public face of the core: forwards to RaftCore (raft_core.h), which is
// kept out of raft.h so users do not recompile when internals change.
#include "consensus/raft.h"

#include "consensus/raft_core.h"

namespace synod::consensus {

class Raft::Impl : public RaftCore {
 public:
  using RaftCore::RaftCore;
};

bool Ready::empty() const {
  return !soft_state && !hard_state && !snapshot && entries.empty() && messages.empty() &&
         messages_after_persist.empty() && committed_entries.empty() && read_states.empty();
}

const char* progress_state_name(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

Raft::Raft(const RaftConfig& config, const Storage& storage, Random& random, LogIndex applied)
    : impl_(std::make_unique<Impl>(config, storage, random, applied)) {}
Raft::~Raft() = default;

Status Raft::step(const Message& message) { return impl_->step(Message(message)); }
Status Raft::step(Message&& message) { return impl_->step(std::move(message)); }
void Raft::tick() { impl_->tick(); }

Result<LogIndex> Raft::propose(std::string data) {
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  return impl_->propose(batch);
}
Result<LogIndex> Raft::propose_batch(std::vector<std::string>& data) {
  return impl_->propose(data);
}
Result<LogIndex> Raft::propose_conf_change(const ConfChange& change) {
  return impl_->propose_conf_change(change);
}
Status Raft::read_index(std::string context) { return impl_->read_index(std::move(context)); }
Status Raft::transfer_leadership(NodeId target) { return impl_->transfer_leadership(target); }
Status Raft::campaign() { return impl_->campaign_now(); }

bool Raft::has_ready() const { return impl_->has_ready(); }
Ready Raft::take_ready() { return impl_->take_ready(); }
void Raft::advance(const Ready& ready) {
  if (ready.snapshot) impl_->on_snapshot_persisted(ready.snapshot->meta.index);
  if (!ready.entries.empty()) {
    impl_->on_persisted(ready.entries.back().index, ready.entries.back().term);
  }
}
void Raft::on_persisted(LogIndex index, Term term) { impl_->on_persisted(index, term); }
void Raft::on_snapshot_persisted(LogIndex index) { impl_->on_snapshot_persisted(index); }

bool Raft::should_snapshot(LogIndex applied) const { return impl_->should_snapshot(applied); }
Result<SnapshotMeta> Raft::snapshot_meta(LogIndex applied) const {
  return impl_->snapshot_meta(applied);
}

NodeId Raft::id() const { return impl_->id(); }
Role Raft::role() const { return impl_->role(); }
NodeId Raft::leader() const { return impl_->leader(); }
Term Raft::term() const { return impl_->term(); }
HardState Raft::hard_state() const { return impl_->hard_state(); }
LogIndex Raft::commit_index() const { return impl_->log().committed(); }
LogIndex Raft::applied_index() const { return impl_->log().applied(); }
LogIndex Raft::last_index() const { return impl_->log().last_index(); }
const ClusterConfig& Raft::config() const { return impl_->config(); }
std::vector<PeerStatus> Raft::peers() const { return impl_->peers(); }
bool Raft::caught_up(NodeId node) const { return impl_->caught_up(node); }
NodeId Raft::transfer_target() const { return impl_->transfer_target(); }

}  // namespace synod::consensus
