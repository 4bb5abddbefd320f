#include "tests/sim/clients.h"

#include <utility>

namespace synod::consensus::sim {

using history::OpKind;

Clients::Clients(Cluster& cluster, ClientOptions options, history::HistoryRecorder& history)
    : cluster_(cluster), options_(options), history_(history) {
  clients_.resize(static_cast<std::size_t>(options_.clients));
  for (std::size_t c = 0; c < clients_.size(); ++c) clients_[c].id = c + 1;
  cluster_.on_apply = [this](NodeId node, const Entry& entry, const std::string& result) {
    on_apply(node, entry, result);
  };
  cluster_.on_read = [this](NodeId node, const std::string& context) { on_read(node, context); };
}

void Clients::start() {
  for (std::size_t c = 0; c < clients_.size(); ++c) next_op(c);
}

bool Clients::idle() const {
  for (const Client& client : clients_) {
    if (client.pending.active) return false;
  }
  return true;
}

void Clients::next_op(std::size_t c) {
  if (stopped_) return;
  cluster_.schedule(cluster_.random().uniform(0, options_.max_think), [this, c] {
    if (!stopped_ && !clients_[c].pending.active) issue(c);
  });
}

NodeId Clients::pick_node(Client& client) {
  Random& rng = cluster_.random();
  if (client.leader_hint != kNoNode && cluster_.is_up(client.leader_hint) && rng.chance(0.8)) {
    return client.leader_hint;
  }
  std::vector<NodeId> up;
  for (NodeId id : cluster_.all_nodes()) {
    if (cluster_.is_up(id)) up.push_back(id);
  }
  if (up.empty()) return kNoNode;
  return up[rng.uniform(0, up.size() - 1)];
}

void Clients::issue(std::size_t c) {
  Client& client = clients_[c];
  Random& rng = cluster_.random();
  const NodeId node = pick_node(client);
  if (node == kNoNode) {
    next_op(c);
    return;
  }
  Pending& p = client.pending;
  p = Pending{};
  p.active = true;
  p.node = node;
  p.key = "k" + std::to_string(rng.uniform(0, static_cast<std::uint64_t>(options_.keys) - 1));
  const std::string value = "c" + std::to_string(client.id) + "-" + std::to_string(++client.seq);
  const double roll = rng.uniform01();
  KvCommand command;
  command.key = p.key;
  if (roll < options_.get_ratio) {
    p.kind = OpKind::kGet;
    p.via_log = rng.chance(options_.log_get_ratio);
    p.history_id = history_.invoke_get(client.id, p.key);
    command.op = KvOp::kGet;
  } else if (roll < options_.get_ratio + options_.cas_ratio) {
    p.kind = OpKind::kCas;
    p.via_log = true;
    std::optional<std::string> expected;
    auto seen = last_seen_.find(p.key);
    if (seen != last_seen_.end() && rng.chance(0.7)) expected = seen->second;
    p.history_id = history_.invoke_cas(client.id, p.key, expected, value);
    command.op = KvOp::kCas;
    command.expected = expected.value_or("");
    command.value = value;
  } else if (roll < options_.get_ratio + options_.cas_ratio + options_.delete_ratio) {
    p.kind = OpKind::kDelete;
    p.via_log = true;
    p.history_id = history_.invoke_delete(client.id, p.key);
    command.op = KvOp::kDelete;
  } else {
    p.kind = OpKind::kPut;
    p.via_log = true;
    p.history_id = history_.invoke_put(client.id, p.key, value);
    command.op = KvOp::kPut;
    command.value = value;
  }

  const std::uint64_t op_id = p.history_id;
  cluster_.schedule(options_.op_timeout, [this, c, op_id] {
    Pending& pending = clients_[c].pending;
    if (pending.active && pending.history_id == op_id) finish(c, false);
  });

  Status status;
  if (p.via_log) {
    p.tag = next_tag_++;
    client_of_tag_[p.tag] = c;
    auto result = cluster_.propose(node, encode_tagged(p.tag, command));
    if (result.is_ok()) {
      p.index = *result;
    } else {
      status = result.status();
    }
  } else {
    p.read_context = "read-" + std::to_string(op_id);
    client_of_read_[p.read_context] = c;
    status = cluster_.read_index(node, p.read_context);
  }
  if (!status.is_ok() && p.active && p.history_id == op_id) {
    // Refused before reaching any log: it certainly did not happen.
    if (Raft* r = cluster_.raft(node)) client.leader_hint = r->leader();
    history_.complete_failed(op_id);
    ++stats_.failed;
    client.pending.active = false;
    next_op(c);
  }
}

void Clients::finish(std::size_t c, bool known) {
  Pending& p = clients_[c].pending;
  if (!known) {
    if (p.kind == OpKind::kGet) {
      history_.complete_failed(p.history_id);  // an unanswered read changed nothing
    } else {
      history_.complete_unknown(p.history_id);
    }
    ++stats_.unknown;
  }
  client_of_tag_.erase(p.tag);
  client_of_read_.erase(p.read_context);
  p.active = false;
  next_op(c);
}

void Clients::on_apply(NodeId node, const Entry& entry, const std::string& result) {
  if (entry.type != EntryType::kNormal) return;
  const std::uint64_t tag = tag_of(entry.data);
  // Another client's entry at the index our leader gave us: ours can never
  // be committed (it existed only at that index).
  for (std::size_t c = 0; c < clients_.size(); ++c) {
    Pending& p = clients_[c].pending;
    if (p.active && p.via_log && p.node == node && p.index != kNoIndex && p.index == entry.index &&
        p.tag != tag) {
      history_.complete_failed(p.history_id);
      ++stats_.failed;
      client_of_tag_.erase(p.tag);
      p.active = false;
      next_op(c);
    }
  }
  auto it = client_of_tag_.find(tag);
  if (it == client_of_tag_.end()) return;
  const std::size_t c = it->second;
  Pending& p = clients_[c].pending;
  if (!p.active || p.tag != tag || p.node != node) return;
  auto decoded = decode_kv_result(result);
  if (!decoded.is_ok()) {
    cluster_.fail("client " + std::to_string(c + 1) + ": undecodable result");
    return;
  }
  clients_[c].leader_hint = node;
  switch (p.kind) {
    case OpKind::kPut:
    case OpKind::kDelete:
      history_.complete_ok(p.history_id);
      break;
    case OpKind::kCas:
      history_.complete_cas(p.history_id, decoded->ok);
      break;
    case OpKind::kGet: {
      std::optional<std::string> read;
      if (decoded->ok) read = decoded->value;
      last_seen_[p.key] = read;
      history_.complete_get(p.history_id, read);
      break;
    }
  }
  ++stats_.ok;
  finish(c, true);
}

void Clients::on_read(NodeId node, const std::string& context) {
  auto it = client_of_read_.find(context);
  if (it == client_of_read_.end()) return;
  const std::size_t c = it->second;
  Pending& p = clients_[c].pending;
  if (!p.active || p.read_context != context || p.node != node) return;
  const SimKv* kv = cluster_.kv(node);
  if (kv == nullptr) return;
  std::optional<std::string> read = kv->get(p.key);
  last_seen_[p.key] = read;
  history_.complete_get(p.history_id, read);
  ++stats_.ok;
  finish(c, true);
}

}  // namespace synod::consensus::sim
