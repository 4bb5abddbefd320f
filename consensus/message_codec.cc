// Conversions between the consensus structs and proto/raft.proto. Every
// decoder validates enum ranges and structural limits so that a hostile peer
// can only earn an InvalidArgument.
#include "consensus/message_codec.h"

#include <algorithm>

// The generated header's location depends on how proto/CMakeLists.txt runs
// protoc; accept both layouts.
#if __has_include("proto/raft.pb.h")
#include "proto/raft.pb.h"
#else
#include "raft.pb.h"
#endif

namespace synod::consensus {
namespace {

constexpr std::uint32_t kMaxMessageType =
    static_cast<std::uint32_t>(MessageType::kReadIndexResponse);
constexpr std::uint32_t kMaxEntryType = static_cast<std::uint32_t>(EntryType::kNoop);
constexpr std::uint32_t kMaxConfChangeType =
    static_cast<std::uint32_t>(ConfChangeType::kDemoteToLearner);

void to_proto(const Entry& entry, proto::RaftEntry* out) {
  out->set_term(entry.term.value());
  out->set_index(entry.index.value());
  out->set_type(static_cast<std::uint32_t>(entry.type));
  out->set_data(entry.data);
}

std::vector<NodeId> sorted_ids(const google::protobuf::RepeatedField<std::uint64_t>& ids) {
  std::vector<NodeId> out;
  out.reserve(ids.size());
  for (std::uint64_t id : ids) out.emplace_back(id);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::string encode_message(const Message& message) {
  proto::RaftMessage pb;
  pb.set_type(static_cast<std::uint32_t>(message.type));
  pb.set_from(message.from.value());
  pb.set_to(message.to.value());
  pb.set_term(message.term.value());
  pb.set_log_term(message.log_term.value());
  pb.set_index(message.index.value());
  pb.mutable_entries()->Reserve(static_cast<int>(message.entries.size()));
  for (const Entry& entry : message.entries) to_proto(entry, pb.add_entries());
  pb.set_commit(message.commit.value());
  pb.set_reject(message.reject);
  pb.set_hint_index(message.hint_index.value());
  pb.set_hint_term(message.hint_term.value());
  pb.set_context(message.context);
  if (message.snapshot.index != LogIndex{0} || !message.snapshot.configuration.empty()) {
    auto* meta = pb.mutable_snapshot();
    meta->set_index(message.snapshot.index.value());
    meta->set_term(message.snapshot.term.value());
    meta->set_configuration(message.snapshot.configuration);
  }
  pb.set_snapshot_offset(message.snapshot_offset);
  pb.set_snapshot_data(message.snapshot_data);
  pb.set_snapshot_done(message.snapshot_done);
  return pb.SerializeAsString();
}

Result<Message> decode_message(std::string_view bytes) {
  proto::RaftMessage pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("raft message: not a valid RaftMessage protobuf");
  }
  if (pb.type() > kMaxMessageType) {
    return invalid_argument("raft message: unknown type " + std::to_string(pb.type()));
  }
  Message message;
  message.type = static_cast<MessageType>(pb.type());
  message.from = NodeId(pb.from());
  message.to = NodeId(pb.to());
  message.term = Term(pb.term());
  message.log_term = Term(pb.log_term());
  message.index = LogIndex(pb.index());
  message.entries.reserve(pb.entries_size());
  for (const proto::RaftEntry& e : pb.entries()) {
    if (e.type() > kMaxEntryType) {
      return invalid_argument("raft message: unknown entry type " + std::to_string(e.type()));
    }
    message.entries.push_back(
        Entry{Term(e.term()), LogIndex(e.index()), static_cast<EntryType>(e.type()), e.data()});
  }
  // Entries must be consecutive: the core relies on it when appending.
  for (std::size_t i = 1; i < message.entries.size(); ++i) {
    if (message.entries[i].index != message.entries[i - 1].index.next()) {
      return invalid_argument("raft message: entries are not consecutive");
    }
  }
  message.commit = LogIndex(pb.commit());
  message.reject = pb.reject();
  message.hint_index = LogIndex(pb.hint_index());
  message.hint_term = Term(pb.hint_term());
  message.context = pb.context();
  message.snapshot.index = LogIndex(pb.snapshot().index());
  message.snapshot.term = Term(pb.snapshot().term());
  message.snapshot.configuration = pb.snapshot().configuration();
  message.snapshot_offset = pb.snapshot_offset();
  message.snapshot_data = pb.snapshot_data();
  message.snapshot_done = pb.snapshot_done();
  return message;
}

std::string encode_conf_change(const ConfChange& change) {
  proto::RaftConfChange pb;
  pb.set_type(static_cast<std::uint32_t>(change.type));
  pb.set_node(change.node.value());
  pb.set_context(change.context);
  return pb.SerializeAsString();
}

Result<ConfChange> decode_conf_change(std::string_view bytes) {
  proto::RaftConfChange pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("conf change: not a valid RaftConfChange protobuf");
  }
  if (pb.type() > kMaxConfChangeType) {
    return invalid_argument("conf change: unknown type " + std::to_string(pb.type()));
  }
  if (pb.node() == 0) return invalid_argument("conf change: node id 0");
  return ConfChange{static_cast<ConfChangeType>(pb.type()), NodeId(pb.node()), pb.context()};
}

std::string encode_config(const ClusterConfig& config) {
  proto::RaftClusterConfig pb;
  for (NodeId id : config.voters) pb.add_voters(id.value());
  for (NodeId id : config.learners) pb.add_learners(id.value());
  return pb.SerializeAsString();
}

Result<ClusterConfig> decode_config(std::string_view bytes) {
  proto::RaftClusterConfig pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("cluster config: not a valid RaftClusterConfig protobuf");
  }
  ClusterConfig config{sorted_ids(pb.voters()), sorted_ids(pb.learners())};
  for (NodeId id : config.learners) {
    if (config.is_voter(id)) return invalid_argument("cluster config: node is voter and learner");
  }
  for (NodeId id : config.voters) {
    if (id == kNoNode) return invalid_argument("cluster config: node id 0");
  }
  return config;
}

}  // namespace synod::consensus
