#include "node/raft_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "consensus/message_codec.h"
#include "consensus/state/command_codec.h"

namespace synod::node {
namespace {

using consensus::Role;
namespace state = consensus::state;

constexpr Duration kReadTimeout = std::chrono::seconds(5);
constexpr Duration kForwardTimeout = std::chrono::seconds(10);

struct RaftMetrics {
  metrics::Gauge& term = metrics::Registry::global().gauge("synod_raft_term", "Current Raft term.");
  metrics::Gauge& commit =
      metrics::Registry::global().gauge("synod_raft_commit_index", "Highest committed log index.");
  metrics::Gauge& applied = metrics::Registry::global().gauge(
      "synod_raft_applied_index", "Highest log index applied to the state machine.");
  metrics::Gauge& is_leader =
      metrics::Registry::global().gauge("synod_raft_is_leader", "1 if this node is the leader.");
  metrics::Counter& leader_changes = metrics::Registry::global().counter(
      "synod_raft_leader_changes_total", "Times this node saw the leader change.");
  metrics::Counter& proposals = metrics::Registry::global().counter(
      "synod_raft_proposals_total", "Commands proposed at this node (leader).");
  metrics::Counter& forwarded = metrics::Registry::global().counter(
      "synod_raft_forwarded_total", "Commands forwarded to the leader from this node.");
  metrics::Counter& proposals_failed = metrics::Registry::global().counter(
      "synod_raft_proposals_failed_total", "Proposals that failed (not leader, lost, timeout).");
  metrics::Counter& bad_messages = metrics::Registry::global().counter(
      "synod_raft_bad_messages_total", "Peer Raft messages that failed to decode or step.");
  metrics::Counter& snapshots = metrics::Registry::global().counter(
      "synod_raft_snapshots_total", "Local state-machine snapshots taken.");
  metrics::Histogram& apply_batch = metrics::Registry::global().histogram(
      "synod_raft_apply_batch_entries", "Committed entries applied per batch.", {},
      metrics::size_buckets());
};
RaftMetrics& raft_metrics() {
  static RaftMetrics m;
  return m;
}

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        SystemClock::instance().wall_now().time_since_epoch())
                                        .count());
}

std::optional<persistence::Table> to_persistence_table(state::RecordTable table) {
  return persistence::table_from_name(state::record_table_name(table));
}

persistence::AppliedBatch to_applied_batch(const state::AppliedRecords& records) {
  persistence::AppliedBatch batch;
  batch.applied_index = records.applied_index;
  batch.replace_all = records.replace_all;
  for (const auto& change : records.changes) {
    auto table = to_persistence_table(change.table);
    if (!table) continue;  // a table this persistence version does not store
    if (!change.record) {
      batch.ops.push_back(persistence::RecordOp::erase(*table, change.key));
      continue;
    }
    persistence::Record record;
    record.key = change.record->key;
    record.value = change.record->value;
    for (const auto& column : change.record->columns) {
      std::visit([&](const auto& v) { record.columns.emplace_back(v); }, column);
    }
    batch.ops.push_back(persistence::RecordOp::put(*table, std::move(record)));
  }
  return batch;
}

int ticks(Duration interval, Duration tick) {
  return std::max<int>(1, static_cast<int>(interval / tick));
}

}  // namespace

RaftNode::RaftNode(asio::io_context& io, const config::NodeConfig& config,
                   persistence::StorageBackend& backend,
                   std::shared_ptr<transport::PeerTransport> transport)
    : io_(io),
      config_(config),
      backend_(backend),
      transport_(std::move(transport)),
      tick_timer_(io),
      bootstrap_timer_(io) {
  const auto& raft = config.raft;
  // Ticks are a fifth of the heartbeat interval: fine-grained enough for the
  // randomised election timeout, cheap enough to run always.
  tick_interval_ = std::max<Duration>(std::chrono::milliseconds(1),
                                      std::chrono::duration_cast<Duration>(raft.heartbeat_interval) / 5);
  raft_config_.id = NodeId{config.node.id};
  raft_config_.heartbeat_tick = ticks(raft.heartbeat_interval, tick_interval_);
  raft_config_.election_tick = ticks(raft.election_timeout, tick_interval_);
  raft_config_.pre_vote = raft.pre_vote;
  raft_config_.check_quorum = raft.check_quorum;
  raft_config_.lease_read = raft.lease_read;
  raft_config_.forward_proposals = false;  // the node forwards, to carry results back
  raft_config_.max_append_bytes = raft.max_append_bytes;
  raft_config_.max_inflight_messages = raft.max_inflight_messages;
  raft_config_.max_inflight_bytes = raft.max_inflight_bytes;
  raft_config_.snapshot_chunk_bytes = raft.snapshot_chunk_bytes;
  raft_config_.snapshot_entries = raft.snapshot_threshold;

  transport_->set_handler([this](NodeId from, transport::MessageType type,
                                 std::string_view payload) {
    if (type == transport::MessageType::kRaft) on_raft_message(from, payload);
  });
  transport_->set_request_handler([this](NodeId from, transport::MessageType type,
                                         std::string_view payload,
                                         transport::PeerTransport::Responder reply) {
    if (type == transport::MessageType::kForward) {
      on_forward(from, payload, std::move(reply));
    } else if (type == transport::MessageType::kJoin) {
      on_join(payload, std::move(reply));
    } else if (type == transport::MessageType::kAdmin) {
      on_admin(payload, std::move(reply));
    } else {
      reply(invalid_argument("unknown request type"));
    }
  });
}

RaftNode::~RaftNode() { stop(); }

Status RaftNode::recover() {
  auto stable = backend_.stable().load();
  if (!stable.is_ok()) return stable.status().with_context("loading hard state");

  consensus::Snapshot snapshot;
  auto reader = backend_.snapshots().open_latest();
  if (reader.is_ok()) {
    snapshot.meta = (*reader)->meta();
    auto data = persistence::read_all(**reader);
    if (!data.is_ok()) return data.status().with_context("reading the latest snapshot");
    snapshot.data = std::move(*data);
    SYNOD_RETURN_IF_ERROR(storage_.apply_snapshot(snapshot).with_context("loading snapshot"));
  } else if (reader.status().code() != StatusCode::kNotFound) {
    return reader.status().with_context("opening the latest snapshot");
  }

  auto& log = backend_.log();
  const LogIndex snapshot_index = snapshot.meta.index;
  if (log.last_index() > snapshot_index) {
    const LogIndex from = std::max(log.first_index(), snapshot_index.next());
    if (from > snapshot_index.next()) {
      return corruption("log starts at " + from.to_string() + " but the snapshot ends at " +
                        snapshot_index.to_string());
    }
    auto entries = log.read(from, log.last_index().next());
    if (!entries.is_ok()) return entries.status().with_context("reading the log");
    SYNOD_RETURN_IF_ERROR(storage_.append(std::move(*entries)));
  }

  HardState hard = stable->hard_state;
  auto applied = backend_.applied_state().applied_index();
  if (!applied.is_ok()) return applied.status().with_context("reading applied state");
  if (*applied > snapshot_index && *applied <= storage_.last_index()) {
    auto status = state_.load_records(*applied, [&](const state::SnapshotVisitor& add) {
      return backend_.applied_state().load_all(
          [&](persistence::Table table, const persistence::Record& record) {
            auto mapped = state::record_table_from_u8(static_cast<std::uint8_t>(table));
            if (!mapped) return corruption("unknown table in applied state");
            return add(*mapped, record.key, record.value);
          });
    });
    SYNOD_RETURN_IF_ERROR(status.with_context("loading applied state"));
  } else if (!snapshot.empty()) {
    SYNOD_RETURN_IF_ERROR(
        restore_state(snapshot.data, snapshot_index).with_context("restoring snapshot"));
  }
  if (hard.commit < state_.applied_index()) hard.commit = state_.applied_index();
  storage_.set_hard_state(hard);

  needs_bootstrap_ = hard.term == Term{0} && snapshot.empty() && storage_.last_index() == LogIndex{0};
  spdlog::info(
      "recovered: term {} vote {} commit {} snapshot {} log [{}, {}] applied {}{}",
      hard.term.value(), hard.vote.value(), hard.commit.value(), snapshot_index.value(),
      storage_.first_index().value(), storage_.last_index().value(),
      state_.applied_index().value(), needs_bootstrap_ ? " (new node)" : "");
  worker_ = std::make_unique<StorageWorker>(backend_);
  if (!needs_bootstrap_) create_raft(state_.applied_index());
  return Status::ok();
}

// The StateMachine contract: empty snapshot data is the empty initial state
// (MemoryStorage::bootstrap writes such a snapshot); StateStore::restore
// itself rejects empty bytes as damage.
Status RaftNode::restore_state(ByteView data, LogIndex index) {
  if (data.empty()) {
    state_.reset(index);
    return Status::ok();
  }
  return state_.restore(data, index);
}

void RaftNode::create_raft(LogIndex applied) {
  raft_ = std::make_unique<consensus::Raft>(raft_config_, storage_, random_, applied);
  for (NodeId member : raft_->config().members()) {
    if (member == raft_config_.id) continue;
    auto it = addresses_.find(member);
    transport_->add_peer(member, it == addresses_.end() ? "" : it->second);
  }
  raft_metrics().term.set(static_cast<double>(raft_->term().value()));
}

void RaftNode::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  bootstrap_timer_.cancel();
  fail_pending(unavailable("node is shutting down"));
  worker_.reset();  // drains and joins the storage thread
}

void RaftNode::schedule_tick() {
  tick_timer_.expires_after(tick_interval_);
  tick_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    if (raft_) {
      raft_->tick();
      if (++ticks_ % 20 == 0) promote_caught_up_learners();
      schedule_ready();
      // Expire reads the leader never answered (e.g. lost leadership).
      const MonoTime now = SystemClock::instance().now();
      for (auto it = reads_by_context_.begin(); it != reads_by_context_.end();) {
        if (now >= it->second.deadline) {
          it->second.done(timeout_error("read index not confirmed in time; no quorum?"));
          it = reads_by_context_.erase(it);
        } else {
          ++it;
        }
      }
    }
    schedule_tick();
  });
}

void RaftNode::schedule_ready() {
  // Coalesce: every proposal and message handled in this turn of the loop
  // lands in one Ready, so one fsync covers them (batching).
  if (ready_scheduled_ || !raft_) return;
  ready_scheduled_ = true;
  asio::post(io_, [this] {
    ready_scheduled_ = false;
    if (!stopped_) drain_ready();
  });
}

void RaftNode::drain_ready() {
  while (raft_ && raft_->has_ready()) {
    auto inflight = std::make_shared<InflightReady>();
    inflight->ready = raft_->take_ready();
    auto& rd = inflight->ready;
    if (rd.soft_state) {
      const NodeId leader = rd.soft_state->leader;
      if (leader != last_leader_) {
        raft_metrics().leader_changes.inc();
        spdlog::info("leader is now {} (term {}, this node {})", leader.value(),
                     raft_->term().value(), consensus::role_name(rd.soft_state->role));
        last_leader_ = leader;
        // Requests in flight to the old leader cannot be trusted to answer:
        // fail them now so clients retry against the new one.
        fail_forwarded(unavailable("leader changed; the outcome of the request is unknown"));
        auto reads = std::move(reads_by_context_);
        reads_by_context_.clear();
        for (auto& [ctx, r] : reads) r.done(unavailable("leader changed during a read; retry"));
      }
      raft_metrics().is_leader.set(rd.soft_state->role == Role::kLeader ? 1 : 0);
    }
    // Step 1: leader messages go out now (they depend only on the durable term).
    send_messages(rd.messages);
    // Step 2: make the core's storage view current, and hand the writes to
    // the storage thread.
    PersistJob job;
    if (rd.snapshot && !rd.snapshot->empty()) {
      if (auto st = storage_.apply_snapshot(*rd.snapshot); !st.is_ok()) {
        spdlog::critical("installing snapshot: {}", st.to_string());
        std::_Exit(70);
      }
      job.snapshot = rd.snapshot;
    }
    if (!rd.entries.empty()) {
      if (auto st = storage_.append(rd.entries); !st.is_ok()) {
        spdlog::critical("appending to the in-memory log: {}", st.to_string());
        std::_Exit(70);
      }
      job.entries = rd.entries;  // rd.entries stays: advance(rd) reports them durable
    }
    if (rd.hard_state) {
      storage_.set_hard_state(*rd.hard_state);
      job.hard_state = rd.hard_state;
      job.configuration = consensus::encode_config(raft_->config());
      raft_metrics().term.set(static_cast<double>(rd.hard_state->term.value()));
      raft_metrics().commit.set(static_cast<double>(rd.hard_state->commit.value()));
    }
    inflight_.push_back(inflight);
    job.done = [this, inflight] {
      asio::post(io_, [this, inflight] {
        inflight->persisted = true;
        on_persisted();
      });
    };
    worker_->persist(std::move(job));
  }
}

void RaftNode::on_persisted() {
  // Readys complete strictly in order (steps 3-5 of the contract).
  while (!inflight_.empty() && inflight_.front()->persisted) {
    auto inflight = inflight_.front();
    inflight_.pop_front();
    if (stopped_ || !raft_) continue;
    auto& rd = inflight->ready;
    send_messages(rd.messages_after_persist);
    if (rd.snapshot && !rd.snapshot->empty()) {
      if (Status st = restore_state(rd.snapshot->data, rd.snapshot->meta.index); !st.is_ok()) {
        spdlog::critical("restoring the state machine from a received snapshot: {}",
                         st.to_string());
        std::_Exit(70);
      }
      worker_->save_applied(to_applied_batch(state_.all_records()));
      if (on_change_) on_change_(state_.publish_changes(), state_.applied_index());
    }
    apply_committed(rd.committed_entries);
    handle_read_states(rd.read_states);
    raft_->advance(rd);
  }
  flush_reads();
  maybe_snapshot();
  schedule_ready();
}

void RaftNode::apply_committed(std::vector<Entry>& entries) {
  if (entries.empty()) return;
  raft_metrics().apply_batch.observe(static_cast<double>(entries.size()));
  for (auto& entry : entries) {
    if (entry.index <= state_.applied_index()) continue;
    if (entry.type == EntryType::kConfChange) {
      auto change = consensus::decode_conf_change(entry.data);
      if (change.is_ok() && change->node != raft_config_.id) {
        if (change->type == consensus::ConfChangeType::kRemoveNode) {
          transport_->remove_peer(change->node);
        } else if (!change->context.empty()) {
          addresses_[change->node] = change->context;
          transport_->add_peer(change->node, change->context);
        }
      }
    }
    state::ApplyResult result = state_.apply(entry);
    if (on_entry_ && entry.type == EntryType::kNormal) on_entry_(entry);
    auto it = pending_.find(entry.index);
    if (it != pending_.end()) {
      if (it->second.term == entry.term) {
        it->second.done(std::move(result));
      } else {
        raft_metrics().proposals_failed.inc();
        it->second.done(unavailable("leadership changed; the command was not committed"));
      }
      pending_.erase(it);
    }
  }
  // Proposals below the applied index whose entries were overwritten.
  while (!pending_.empty() && pending_.begin()->first <= state_.applied_index()) {
    pending_.begin()->second.done(unavailable("leadership changed; the command was not committed"));
    pending_.erase(pending_.begin());
  }
  raft_metrics().applied.set(static_cast<double>(state_.applied_index().value()));
  auto changes = state_.take_changes();
  if (!changes.empty()) {
    worker_->save_applied(to_applied_batch(state_.records_for(changes)));
  } else {
    persistence::AppliedBatch batch;
    batch.applied_index = state_.applied_index();
    worker_->save_applied(std::move(batch));
  }
  if (on_change_) on_change_(changes, state_.applied_index());
}

void RaftNode::handle_read_states(std::vector<consensus::ReadState>& states) {
  for (auto& rs : states) {
    auto it = reads_by_context_.find(rs.context);
    if (it == reads_by_context_.end()) continue;
    reads_waiting_apply_.emplace(rs.index, std::move(it->second.done));
    reads_by_context_.erase(it);
  }
}

void RaftNode::flush_reads() {
  while (!reads_waiting_apply_.empty() &&
         reads_waiting_apply_.begin()->first <= state_.applied_index()) {
    auto done = std::move(reads_waiting_apply_.begin()->second);
    reads_waiting_apply_.erase(reads_waiting_apply_.begin());
    done(Status::ok());
  }
}

void RaftNode::maybe_snapshot() {
  if (!raft_ || !raft_->should_snapshot(state_.applied_index())) return;
  const LogIndex applied = state_.applied_index();
  auto meta = raft_->snapshot_meta(applied);
  if (!meta.is_ok()) return;
  consensus::Snapshot snapshot{*meta, state_.snapshot()};
  if (auto st = storage_.create_snapshot(snapshot.meta, snapshot.data); !st.is_ok()) {
    spdlog::warn("snapshot at {} failed: {}", applied.value(), st.to_string());
    return;
  }
  raft_metrics().snapshots.inc();
  spdlog::info("snapshot at index {} ({} bytes)", applied.value(), snapshot.data.size());
  worker_->save_snapshot(LocalSnapshotJob{std::move(snapshot), applied});
}

void RaftNode::send_messages(std::vector<consensus::Message>& messages) {
  for (auto& message : messages) {
    if (message.to == raft_config_.id) continue;
    (void)transport_->send(message.to, transport::MessageType::kRaft,
                           consensus::encode_message(message));
  }
}

void RaftNode::on_raft_message(NodeId from, std::string_view payload) {
  if (!raft_) return;  // not bootstrapped yet: the sender retries
  auto message = consensus::decode_message(payload);
  if (!message.is_ok() || message->from != from) {
    raft_metrics().bad_messages.inc();
    spdlog::warn("dropping a bad Raft message from node {}: {}", from.value(),
                 message.is_ok() ? "sender id mismatch" : message.status().to_string());
    return;
  }
  if (message->type == consensus::MessageType::kAppend ||
      message->type == consensus::MessageType::kHeartbeat ||
      message->type == consensus::MessageType::kSnapshot) {
    last_leader_contact_ = SystemClock::instance().now();
  }
  if (auto st = raft_->step(std::move(*message)); !st.is_ok()) {
    raft_metrics().bad_messages.inc();
    spdlog::debug("step from {}: {}", from.value(), st.to_string());
  }
  schedule_ready();
}

void RaftNode::propose(proto_ns::Command command, ApplyCallback done) {
  if (!raft_) return done(unavailable("this node has not joined a cluster yet"));
  if (is_leader()) {
    auto bytes = state::prepare_command(std::move(command), wall_ms());
    if (!bytes.is_ok()) return done(bytes.status());
    return propose_local(std::move(*bytes), std::move(done));
  }
  const NodeId leader = raft_->leader();
  if (leader == kNoNode) {
    raft_metrics().proposals_failed.inc();
    return done(unavailable("no known leader"));
  }
  auto bytes = state::prepare_command(std::move(command), 0);
  if (!bytes.is_ok()) return done(bytes.status());
  raft_metrics().forwarded.inc();
  // Tracked here so a leader change fails it at once instead of after the
  // call timeout (the old leader may be dead).
  const std::uint64_t id = next_forward_id_++;
  forwarded_[id] = std::move(done);
  transport_->call(leader, transport::MessageType::kForward, std::move(*bytes), kForwardTimeout,
                   [this, id](Result<Bytes> reply) {
                     auto it = forwarded_.find(id);
                     if (it == forwarded_.end()) return;  // already failed by a leader change
                     auto callback = std::move(it->second);
                     forwarded_.erase(it);
                     if (!reply.is_ok()) return callback(reply.status());
                     callback(state::decode_apply_result(*reply));
                   });
}

void RaftNode::on_forward(NodeId from, std::string_view payload,
                          transport::PeerTransport::Responder reply) {
  if (!raft_ || !is_leader()) {
    return reply(Status(StatusCode::kNotLeader, "node " + raft_config_.id.to_string() +
                                                    " is not the leader"));
  }
  auto bytes = state::restamp_command(payload, wall_ms());
  if (!bytes.is_ok()) {
    spdlog::warn("refusing a forwarded command from node {}: {}", from.value(),
                 bytes.status().to_string());
    return reply(bytes.status());
  }
  propose_local(std::move(*bytes), [reply = std::move(reply)](Result<state::ApplyResult> result) {
    if (!result.is_ok()) return reply(result.status());
    reply(state::encode_apply_result(*result));
  });
}

void RaftNode::propose_local(Bytes data, ApplyCallback done) {
  auto index = raft_->propose(std::move(data));
  if (!index.is_ok()) {
    raft_metrics().proposals_failed.inc();
    return done(index.status());
  }
  raft_metrics().proposals.inc();
  pending_[*index] = PendingProposal{raft_->term(), std::move(done)};
  schedule_ready();
}

void RaftNode::read_barrier(std::function<void(Status)> done) {
  if (!raft_) return done(unavailable("this node has not joined a cluster yet"));
  std::string context = raft_config_.id.to_string() + ":" + std::to_string(next_read_id_++);
  if (auto st = raft_->read_index(context); !st.is_ok()) return done(st);
  reads_by_context_[context] =
      PendingRead{std::move(done), SystemClock::instance().now() + kReadTimeout};
  schedule_ready();
}

void RaftNode::fail_forwarded(const Status& status) {
  auto forwarded = std::move(forwarded_);
  forwarded_.clear();
  for (auto& [id, done] : forwarded) done(status);
}

void RaftNode::fail_pending(const Status& status) {
  fail_forwarded(status);
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, p] : pending) p.done(status);
  auto reads = std::move(reads_by_context_);
  reads_by_context_.clear();
  for (auto& [ctx, r] : reads) r.done(status);
  auto waiting = std::move(reads_waiting_apply_);
  reads_waiting_apply_.clear();
  for (auto& [index, done] : waiting) done(status);
}

Role RaftNode::role() const { return raft_ ? raft_->role() : Role::kFollower; }
bool RaftNode::is_leader() const { return raft_ && raft_->role() == Role::kLeader; }
NodeId RaftNode::leader() const { return raft_ ? raft_->leader() : kNoNode; }
Term RaftNode::term() const { return raft_ ? raft_->term() : Term{0}; }
LogIndex RaftNode::commit_index() const { return raft_ ? raft_->commit_index() : LogIndex{0}; }
LogIndex RaftNode::applied_index() const { return state_.applied_index(); }
LogIndex RaftNode::last_index() const { return raft_ ? raft_->last_index() : LogIndex{0}; }
consensus::ClusterConfig RaftNode::membership() const {
  return raft_ ? raft_->config() : consensus::ClusterConfig{};
}

std::string RaftNode::address_of(NodeId node) const {
  if (node == raft_config_.id) {
    return config_.addresses.advertise_peer.empty() ? transport_->listen_address()
                                                    : config_.addresses.advertise_peer;
  }
  auto it = addresses_.find(node);
  if (it != addresses_.end()) return it->second;
  auto stats = transport_->stats(node);
  return stats ? stats->address : "";
}

std::uint64_t RaftNode::last_contact_ms() const {
  if (is_leader()) return 0;
  if (last_leader_contact_ == MonoTime{}) return 0;
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        SystemClock::instance().now() - last_leader_contact_)
                                        .count());
}

}  // namespace synod::node
