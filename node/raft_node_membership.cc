// RaftNode, part two: how the node becomes and stays a member of a cluster:
// seeds, bootstrap, join, learner promotion, operator requests (transfer,
// remove, relayed from followers) and the leader's hand-over at shutdown.
// The event loop, Readys and client requests are in raft_node.cc.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/bytes.h"
#include "common/clock.h"
#include "consensus/message_codec.h"
#include "node/raft_node.h"

namespace synod::node {
namespace {

namespace state = consensus::state;

constexpr Duration kSeedRetry = std::chrono::milliseconds(200);
constexpr std::uint8_t kAdminTransfer = 1;
constexpr std::uint8_t kAdminRemove = 2;

}  // namespace

void RaftNode::start() {
  unresolved_seeds_.clear();
  const std::string own = transport_->listen_address();
  for (const auto& seed : config_.cluster.seeds) {
    // "id@host:port" names the node; a plain "host:port" is resolved by a
    // handshake (connect_seeds).
    std::string address = seed;
    std::optional<NodeId> id;
    if (const auto at = seed.find('@'); at != std::string::npos) {
      try {
        id = NodeId{std::stoull(seed.substr(0, at))};
      } catch (...) {
        spdlog::error("cluster.seeds: \"{}\" is not id@host:port; ignored", seed);
        continue;
      }
      address = seed.substr(at + 1);
    }
    if (id == raft_config_.id || address == config_.addresses.peer ||
        address == config_.addresses.advertise_peer || address == own) {
      continue;
    }
    if (id) {
      addresses_[*id] = address;
      transport_->add_peer(*id, address);
    } else {
      unresolved_seeds_.push_back(address);
    }
  }
  connect_seeds();
  if (needs_bootstrap_) {
    if (config_.cluster.join) {
      try_join();
    } else {
      try_bootstrap();
    }
  }
  schedule_tick();
}

void RaftNode::connect_seeds() {
  if (stopped_ || unresolved_seeds_.empty()) return;
  auto seeds = unresolved_seeds_;
  for (const auto& seed : seeds) {
    resolve_seed(seed, [this, seed](Result<NodeId> id) {
          if (stopped_) return;
          if (!id.is_ok()) return;  // retried by the bootstrap timer
          addresses_[*id] = seed;
          transport_->add_peer(*id, seed);
          std::erase(unresolved_seeds_, seed);
          spdlog::info("seed {} is node {}", seed, id->value());
          if (needs_bootstrap_ && !config_.cluster.join) try_bootstrap();
        });
  }
}

void RaftNode::resolve_seed(const std::string& seed, std::function<void(Result<NodeId>)> done) {
#if SYNOD_TRANSPORT_HAS_CONNECT_ADDRESS
  transport_->connect_address(seed, std::chrono::seconds(1), std::move(done));
#else
  done(unimplemented("seed " + seed + " needs the id@host:port form in this build"));
#endif
}

// Joining (Raft dissertation §4.2.1): a new node asks a seed to add it as a
// learner; the seed relays to the leader, which adds it and starts sending it
// the log (or a snapshot). The leader promotes it to voter once caught up.
void RaftNode::try_join() {
  if (!needs_bootstrap_ || stopped_) return;
  Bytes request;
  put_u64(request, raft_config_.id.value());
  put_bytes(request, address_of(raft_config_.id));
  if (!join_in_flight_) {
    for (const auto& [id, address] : addresses_) {
      join_in_flight_ = true;
      transport_->call(id, transport::MessageType::kJoin, request, std::chrono::seconds(3),
                       [this, seed = id](Result<Bytes> reply) {
                         join_in_flight_ = false;
                         if (!needs_bootstrap_ || stopped_) return;
                         if (!reply.is_ok()) {
                           spdlog::info("join through node {}: {}", seed.value(),
                                        reply.status().to_string());
                           return;
                         }
                         needs_bootstrap_ = false;
                         spdlog::info("joined the cluster through node {} as a learner",
                                      seed.value());
                         create_raft(LogIndex{0});
                         schedule_ready();
                       });
      break;  // one seed at a time; the next attempt tries the others
    }
    if (!addresses_.empty()) {
      // Rotate so a dead seed does not block every attempt.
      auto first = addresses_.begin();
      auto entry = *first;
      addresses_.erase(first);
      addresses_.insert(entry);
    }
  }
  bootstrap_timer_.expires_after(std::chrono::milliseconds(500));
  bootstrap_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    connect_seeds();
    try_join();
  });
}

void RaftNode::on_join(std::string_view payload, transport::PeerTransport::Responder reply) {
  ByteReader reader(payload);
  auto id = reader.u64();
  auto address = reader.bytes();
  if (!id || !address || *id == 0) return reply(invalid_argument("malformed join request"));
  const NodeId node{*id};
  if (!raft_) return reply(unavailable("this node has not bootstrapped a cluster yet"));
  if (!is_leader()) {
    const NodeId leader = raft_->leader();
    if (leader == kNoNode) return reply(unavailable("no known leader"));
    Bytes copy(payload);
    transport_->call(leader, transport::MessageType::kJoin, std::move(copy),
                     std::chrono::seconds(3), std::move(reply));
    return;
  }
  if (raft_->config().contains(node)) return reply(Bytes("member"));
  addresses_[node] = std::string(*address);
  transport_->add_peer(node, std::string(*address));
  consensus::ConfChange change{consensus::ConfChangeType::kAddLearner, node, std::string(*address)};
  auto index = raft_->propose_conf_change(change);
  if (!index.is_ok()) return reply(index.status());
  spdlog::info("adding node {} at {} as a learner", node.value(), std::string(*address));
  pending_[*index] = PendingProposal{raft_->term(), [reply](Result<state::ApplyResult> r) {
                                       if (!r.is_ok()) return reply(r.status());
                                       reply(Bytes("added"));
                                     }};
  schedule_ready();
}

// Voter rules (issue 7, docs/discovery.md), checked by the leader every 20
// ticks, one configuration change at a time:
//  1. a server gossip reports as left is removed at once; one dead for
//     cluster.dead_server_cleanup_after is removed too;
//  2. caught-up, live learners are promoted while the voter count stays odd
//     and at most cluster.max_voters: from an odd count only when two are
//     ready (the second follows at the next check), from an even count one;
//  3. more than cluster.max_voters voters (e.g. a larger bootstrap_expect),
//     or an even count with no live learner on its way, demotes a follower
//     (a failed one first): an even count has the fault tolerance of the odd
//     count below it, with a larger quorum.
void RaftNode::promote_caught_up_learners() {
  if (!is_leader()) return;
  if (remove_departed_servers()) return;
  const auto& membership = raft_->config();
  const std::size_t max_voters = std::max<std::uint32_t>(1, config_.cluster.max_voters);
  std::vector<NodeId> ready;
  bool learner_on_its_way = false;
  for (NodeId learner : membership.learners) {
    const bool live = !server_health_ ||
                      server_health_(learner).liveness == ServerLiveness::kAlive ||
                      server_health_(learner).liveness == ServerLiveness::kUnknown;
    if (!live) continue;
    learner_on_its_way = true;
    if (raft_->caught_up(learner)) ready.push_back(learner);
  }
  const std::size_t voters = membership.voters.size();
  const bool promote = voters % 2 == 0 ? (voters + 1 <= max_voters && !ready.empty())
                                       : (voters + 2 <= max_voters && ready.size() >= 2);
  if (promote) {
    consensus::ConfChange change{consensus::ConfChangeType::kAddVoter, ready.front(), ""};
    if (raft_->propose_conf_change(change).is_ok()) {
      spdlog::info("promoting node {} to voter (caught up; {} voters -> {})",
                   ready.front().value(), voters, voters + 1);
      schedule_ready();
    }
    return;
  }
  if (voters > max_voters || (voters % 2 == 0 && !learner_on_its_way)) {
    demote_for_odd_voters(voters > max_voters);
  }
}

bool RaftNode::remove_departed_servers() {
  if (!server_health_) return false;
  for (NodeId member : raft_->config().members()) {
    if (member == raft_config_.id) continue;
    const ServerHealth health = server_health_(member);
    const bool left = health.liveness == ServerLiveness::kLeft;
    const bool dead_too_long = health.liveness == ServerLiveness::kFailed &&
                               health.failed_for >= config_.cluster.dead_server_cleanup_after;
    if (!left && !dead_too_long) continue;
    consensus::ConfChange change{consensus::ConfChangeType::kRemoveNode, member, ""};
    if (raft_->propose_conf_change(change).is_ok()) {
      spdlog::info("removing node {} from the Raft configuration ({})", member.value(),
                   left ? "it left the cluster"
                        : "dead for longer than cluster.dead_server_cleanup_after");
      schedule_ready();
    }
    return true;
  }
  return false;
}

bool RaftNode::demote_for_odd_voters(bool over_limit) {
  const auto& membership = raft_->config();
  if (membership.voters.size() < 2) return false;
  NodeId chosen = kNoNode;
  for (NodeId voter : membership.voters) {
    if (voter == raft_config_.id) continue;
    const bool failed =
        server_health_ && server_health_(voter).liveness == ServerLiveness::kFailed;
    if (failed || chosen == kNoNode || voter > chosen) chosen = voter;
    if (failed) break;
  }
  if (chosen == kNoNode) return false;
  consensus::ConfChange change{consensus::ConfChangeType::kDemoteToLearner, chosen, ""};
  if (!raft_->propose_conf_change(change).is_ok()) return false;
  spdlog::info("demoting node {} to learner ({} voters: {})", chosen.value(),
               membership.voters.size(),
               over_limit ? "more than cluster.max_voters" : "keeping the voter count odd");
  schedule_ready();
  return true;
}

void RaftNode::try_bootstrap() {
  if (!needs_bootstrap_ || stopped_) return;
  const std::size_t expect = std::max<std::uint32_t>(1, config_.cluster.bootstrap_expect);
  std::vector<NodeId> voters{raft_config_.id};
  for (const auto& [id, address] : addresses_) voters.push_back(id);
  if (voters.size() >= expect) {
    std::sort(voters.begin(), voters.end());
    voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
    voters.resize(std::min(voters.size(), expect));
    if (std::find(voters.begin(), voters.end(), raft_config_.id) == voters.end()) {
      // Every seed computes the same first `expect` ids; a node outside them
      // must not bootstrap a different voter set (two configurations could
      // each elect a leader in one term): it joins the others instead.
      spdlog::info("not among the {} bootstrap voters; joining through the seeds", expect);
      try_join();
      return;
    }
    bootstrap_with(voters);
    return;
  }
  // Not enough seeds resolved yet: retry them soon.
  bootstrap_timer_.expires_after(kSeedRetry);
  bootstrap_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    connect_seeds();
    try_bootstrap();
  });
}

void RaftNode::bootstrap_with(const std::vector<NodeId>& voters) {
  consensus::ClusterConfig cluster;
  cluster.voters = voters;
  storage_.bootstrap(cluster);
  auto snapshot = storage_.snapshot();
  PersistJob job;
  job.snapshot = *snapshot;
  job.hard_state = storage_.hard_state();
  job.configuration = consensus::encode_config(cluster);
  if (auto st = StorageWorker::write_persist_job(backend_, job, true); !st.is_ok()) {
    spdlog::critical("cannot persist the bootstrap state: {}", st.to_string());
    std::_Exit(70);
  }
  state_.reset(storage_.snapshot_meta().index);
  needs_bootstrap_ = false;
  std::string ids;
  for (NodeId v : voters) ids += (ids.empty() ? "" : ",") + v.to_string();
  spdlog::info("bootstrapped a new cluster with voters [{}]", ids);
  create_raft(state_.applied_index());
  // Single-voter clusters elect themselves at once.
  if (voters.size() == 1) (void)raft_->campaign();
  schedule_ready();
}

void RaftNode::transfer_leadership(std::optional<NodeId> target,
                                   std::function<void(Status)> done) {
  if (!raft_) return done(unavailable("this node has not joined a cluster yet"));
  if (!is_leader()) return forward_admin(kAdminTransfer, target.value_or(kNoNode), std::move(done));
  NodeId chosen = target.value_or(kNoNode);
  if (chosen == kNoNode) {
    LogIndex best;
    for (const auto& peer : raft_->peers()) {
      if (peer.voter && peer.match >= best && peer.id != raft_config_.id) {
        best = peer.match;
        chosen = peer.id;
      }
    }
    if (chosen == kNoNode) return done(failed_precondition("no other voter to transfer to"));
  }
  Status st = raft_->transfer_leadership(chosen);
  schedule_ready();
  done(st);
}

void RaftNode::remove_member(NodeId node, std::function<void(Status)> done) {
  if (!raft_) return done(unavailable("this node has not joined a cluster yet"));
  if (!raft_->config().contains(node)) return done(not_found("no member " + node.to_string()));
  if (!is_leader()) return forward_admin(kAdminRemove, node, std::move(done));
  consensus::ConfChange change{consensus::ConfChangeType::kRemoveNode, node, ""};
  auto index = raft_->propose_conf_change(change);
  if (!index.is_ok()) return done(index.status());
  pending_[*index] = PendingProposal{
      raft_->term(), [done = std::move(done)](Result<state::ApplyResult> r) { done(r.status()); }};
  schedule_ready();
}

// Operator requests (leadership transfer, member removal) run on the
// leader; a follower relays them over the peer connection.
void RaftNode::forward_admin(std::uint8_t op, NodeId node, std::function<void(Status)> done) {
  const NodeId leader = raft_->leader();
  if (leader == kNoNode) return done(unavailable("no known leader"));
  Bytes payload;
  put_u8(payload, op);
  put_u64(payload, node.value());
  transport_->call(leader, transport::MessageType::kAdmin, std::move(payload),
                   std::chrono::seconds(5),
                   [done = std::move(done)](Result<Bytes> reply) { done(reply.status()); });
}

void RaftNode::on_admin(std::string_view payload, transport::PeerTransport::Responder reply) {
  ByteReader reader(payload);
  auto op = reader.u8();
  auto node = reader.u64();
  if (!op || !node) return reply(invalid_argument("malformed admin request"));
  if (!raft_ || !is_leader()) return reply(Status(StatusCode::kNotLeader, "not the leader"));
  auto answer = [reply](Status st) {
    if (!st.is_ok()) return reply(st);
    reply(Bytes("ok"));
  };
  if (*op == kAdminTransfer) {
    std::optional<NodeId> target;
    if (*node != 0) target = NodeId{*node};
    return transfer_leadership(target, answer);
  }
  if (*op == kAdminRemove) return remove_member(NodeId{*node}, answer);
  reply(invalid_argument("unknown admin request"));
}

void RaftNode::prepare_shutdown(Duration timeout, std::function<void()> done) {
  if (!raft_ || !is_leader() || raft_->config().voters.size() < 2) return done();
  transfer_leadership(std::nullopt, [this, timeout, done = std::move(done)](Status st) mutable {
    if (!st.is_ok()) {
      spdlog::warn("leadership transfer before shutdown failed: {}", st.to_string());
      return done();
    }
    // Wait (polling each tick) until leadership moved or the timeout passed.
    auto deadline = SystemClock::instance().now() + timeout;
    auto timer = std::make_shared<asio::steady_timer>(io_);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, timer, deadline, done, poll] {
      if (!is_leader() || SystemClock::instance().now() >= deadline) {
        spdlog::info("leadership {} before shutdown",
                     is_leader() ? "still here (transfer timed out)" : "transferred");
        auto finish = done;
        *poll = nullptr;  // break the self-reference
        return finish();
      }
      timer->expires_after(tick_interval_);
      timer->async_wait([poll](error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  });
}


}  // namespace synod::node
