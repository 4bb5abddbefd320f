// Temporary stub so users can compile against raft.h; the real core follows.
#include "consensus/raft.h"

namespace synod::consensus {

class Raft::Impl {
 public:
  Impl(const RaftConfig& config, const Storage& storage) : config_(config), storage_(storage) {}
  RaftConfig config_;
  const Storage& storage_;
  ClusterConfig cluster_;
};

bool Ready::empty() const {
  return !soft_state && !hard_state && !snapshot && entries.empty() && messages.empty() &&
         messages_after_persist.empty() && committed_entries.empty() && read_states.empty();
}

const char* progress_state_name(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe: return "probe";
    case ProgressState::kReplicate: return "replicate";
    case ProgressState::kSnapshot: return "snapshot";
  }
  return "unknown";
}

Raft::Raft(const RaftConfig& config, const Storage& storage, Random&, LogIndex)
    : impl_(std::make_unique<Impl>(config, storage)) {}
Raft::~Raft() = default;
Status Raft::step(const Message&) { return unimplemented("raft"); }
Status Raft::step(Message&&) { return unimplemented("raft"); }
void Raft::tick() {}
Result<LogIndex> Raft::propose(std::string) { return unimplemented("raft"); }
Result<LogIndex> Raft::propose_batch(std::vector<std::string>&) { return unimplemented("raft"); }
Result<LogIndex> Raft::propose_conf_change(const ConfChange&) { return unimplemented("raft"); }
Status Raft::read_index(std::string) { return unimplemented("raft"); }
Status Raft::transfer_leadership(NodeId) { return unimplemented("raft"); }
Status Raft::campaign() { return unimplemented("raft"); }
bool Raft::has_ready() const { return false; }
Ready Raft::take_ready() { return {}; }
void Raft::advance(const Ready&) {}
void Raft::on_persisted(LogIndex, Term) {}
void Raft::on_snapshot_persisted(LogIndex) {}
bool Raft::should_snapshot(LogIndex) const { return false; }
Result<SnapshotMeta> Raft::snapshot_meta(LogIndex) const { return unimplemented("raft"); }
NodeId Raft::id() const { return impl_->config_.id; }
Role Raft::role() const { return Role::kFollower; }
NodeId Raft::leader() const { return kNoNode; }
Term Raft::term() const { return Term(0); }
HardState Raft::hard_state() const { return {}; }
LogIndex Raft::commit_index() const { return kNoIndex; }
LogIndex Raft::applied_index() const { return kNoIndex; }
LogIndex Raft::last_index() const { return kNoIndex; }
const ClusterConfig& Raft::config() const { return impl_->cluster_; }
std::vector<PeerStatus> Raft::peers() const { return {}; }
bool Raft::caught_up(NodeId) const { return false; }
NodeId Raft::transfer_target() const { return kNoNode; }

}  // namespace synod::consensus
