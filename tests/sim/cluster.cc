#include "tests/sim/cluster.h"

#include <algorithm>
#include <utility>

#include "consensus/message_codec.h"

namespace synod::consensus::sim {

std::uint64_t fingerprint(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return h;
}

namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 1099511628211ULL;
}

std::uint64_t entry_hash(const Entry& e) {
  return fingerprint(e.data, mix(1469598103934665603ULL, static_cast<std::uint64_t>(e.type)));
}

constexpr std::size_t kRecentEvents = 80;

}  // namespace

struct Cluster::Node {
  NodeId id;
  bool up = false;
  bool stopped = false;
  std::uint64_t incarnation = 0;
  MemoryStorage disk;
  std::unique_ptr<SeededRandom> rng;
  std::unique_ptr<Raft> raft;
  std::unique_ptr<SimKv> kv;
  std::deque<Ready> unsynced;  // taken from the core, waiting for their fsync
  Micros disk_free_at = 0;
  std::vector<ReadState> reads;  // safe reads waiting for the state machine
  // The node's log as written so far (durable + unsynced): (term, hash) of
  // index mirror_base + i; mirror_base_term is the term at mirror_base - 1.
  std::uint64_t mirror_base = 1;
  std::uint64_t mirror_base_term = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> mirror;
  LogIndex max_applied;      // survives crashes (the harness's view)
  LogIndex commit_recorded;  // commit index already fed to committed_
  bool was_leader = false;
};

struct Cluster::Event {
  enum Kind : std::uint8_t { kTick, kDeliver, kPersist, kAction };
  Micros time = 0;
  std::uint64_t seq = 0;
  Kind kind = kAction;
  NodeId node;
  std::uint64_t incarnation = 0;
  std::shared_ptr<Message> message;
  std::function<void()> action;
};

bool Cluster::EventOrder::operator()(const Event& a, const Event& b) const {
  // std::push_heap builds a max-heap; invert to pop the earliest first.
  if (a.time != b.time) return a.time > b.time;
  return a.seq > b.seq;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)), random_(options_.seed) {
  ClusterConfig config;
  for (int i = 1; i <= options_.nodes; ++i) config.voters.push_back(NodeId(i));
  for (int i = 1; i <= options_.nodes; ++i) {
    auto n = std::make_unique<Node>();
    n->id = NodeId(i);
    n->disk.bootstrap(config);
    Node& ref = *n;
    nodes_.emplace(n->id, std::move(n));
    start(ref);
  }
}

Cluster::~Cluster() = default;

Cluster::Node& Cluster::node(NodeId id) { return *nodes_.at(id); }
const Cluster::Node& Cluster::node(NodeId id) const { return *nodes_.at(id); }

std::vector<NodeId> Cluster::all_nodes() const {
  std::vector<NodeId> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  return ids;
}

bool Cluster::is_up(NodeId id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second->up;
}

Raft* Cluster::raft(NodeId id) {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second->up ? it->second->raft.get() : nullptr;
}

const SimKv* Cluster::kv(NodeId id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second->up ? it->second->kv.get() : nullptr;
}

const MemoryStorage& Cluster::disk(NodeId id) const { return node(id).disk; }

LogIndex Cluster::max_applied(NodeId id) const { return node(id).max_applied; }

// ---------------------------------------------------------------------------
// events

void Cluster::push(Event event) {
  event.seq = next_seq_++;
  queue_.push_back(std::move(event));
  std::push_heap(queue_.begin(), queue_.end(), EventOrder{});
}

void Cluster::schedule(Micros delay, std::function<void()> action) {
  Event e;
  e.time = now_ + delay;
  e.kind = Event::kAction;
  e.action = std::move(action);
  push(std::move(e));
}

void Cluster::step_event() {
  std::pop_heap(queue_.begin(), queue_.end(), EventOrder{});
  Event e = std::move(queue_.back());
  queue_.pop_back();
  now_ = e.time;
  ++events_;
  trace_hash_ = mix(mix(mix(trace_hash_, e.time), e.kind), e.node.value());
  switch (e.kind) {
    case Event::kTick:
      tick(e.node, e.incarnation);
      break;
    case Event::kDeliver:
      deliver(*e.message);
      break;
    case Event::kPersist:
      persist_done(e.node, e.incarnation);
      break;
    case Event::kAction:
      e.action();
      break;
  }
}

void Cluster::run_for(Micros duration) {
  const Micros end = now_ + duration;
  while (!queue_.empty() && queue_.front().time <= end && ok()) step_event();
  if (ok()) now_ = end;
}

bool Cluster::run_until(const std::function<bool()>& done, Micros limit) {
  const Micros end = now_ + limit;
  if (done()) return true;
  while (!queue_.empty() && queue_.front().time <= end && ok()) {
    step_event();
    if (done()) return true;
  }
  if (ok()) now_ = end;
  return done();
}

void Cluster::trace(const std::string& line) {
  trace_hash_ = fingerprint(line, mix(trace_hash_, now_));
  recent_.push_back(std::to_string(now_) + "us " + line);
  if (recent_.size() > kRecentEvents) recent_.pop_front();
}

std::string Cluster::recent_trace() const {
  std::string out;
  for (const auto& line : recent_) out += "  " + line + "\n";
  return out;
}

void Cluster::fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what) + " (at " + std::to_string(now_) + "us)";
}

// ---------------------------------------------------------------------------
// node life cycle

void Cluster::start(Node& n) {
  RaftConfig config = options_.raft;
  config.id = n.id;
  n.rng = std::make_unique<SeededRandom>(random_.next_u64());
  n.kv = std::make_unique<SimKv>();
  auto snapshot = n.disk.snapshot();
  LogIndex applied = kNoIndex;
  if (snapshot.is_ok() && !snapshot->empty()) {
    Status restored = n.kv->restore(snapshot->data, snapshot->meta.index);
    if (!restored.is_ok()) fail("node " + n.id.to_string() + ": restore: " + restored.to_string());
    applied = snapshot->meta.index;
  }
  n.raft = std::make_unique<Raft>(config, n.disk, *n.rng, applied);
  n.up = true;
  n.was_leader = false;
  ++n.incarnation;
  n.disk_free_at = now_;
  rebuild_mirror(n);
  Event tick;
  tick.time = now_ + random_.uniform(1, options_.tick_interval);
  tick.kind = Event::kTick;
  tick.node = n.id;
  tick.incarnation = n.incarnation;
  push(std::move(tick));
  drain(n);
  check_node(n);
}

void Cluster::crash(NodeId id, bool partial_flush) {
  Node& n = node(id);
  if (!n.up) return;
  std::size_t flushed = 0;
  if (partial_flush && !n.unsynced.empty()) {
    flushed = random_.uniform(0, n.unsynced.size());
    for (std::size_t i = 0; i < flushed; ++i) write_to_disk(n, n.unsynced[i]);
  }
  trace("crash " + id.to_string() + " (lost " + std::to_string(n.unsynced.size() - flushed) +
        " unsynced writes)");
  n.unsynced.clear();
  n.reads.clear();
  n.raft.reset();
  n.kv.reset();
  n.up = false;
  ++n.incarnation;  // ticks and fsyncs of the old process are void
}

void Cluster::restart(NodeId id) {
  Node& n = node(id);
  if (n.up || n.stopped) return;
  trace("restart " + id.to_string());
  start(n);
}

NodeId Cluster::add_node() {
  const NodeId id(nodes_.rbegin()->first.value() + 1);
  auto n = std::make_unique<Node>();
  n->id = id;
  Node& ref = *n;
  nodes_.emplace(id, std::move(n));
  trace("add node " + id.to_string());
  start(ref);
  return id;
}

void Cluster::stop(NodeId id) {
  crash(id);
  node(id).stopped = true;
}

// ---------------------------------------------------------------------------
// network

void Cluster::disconnect(NodeId id) {
  for (const auto& [other, n] : nodes_) {
    if (other == id) continue;
    blocked_.insert({id, other});
    blocked_.insert({other, id});
  }
}

void Cluster::connect(NodeId id) {
  for (auto it = blocked_.begin(); it != blocked_.end();) {
    it = (it->first == id || it->second == id) ? blocked_.erase(it) : std::next(it);
  }
}

void Cluster::block(NodeId from, NodeId to) { blocked_.insert({from, to}); }

void Cluster::partition(const std::vector<std::vector<NodeId>>& groups) {
  std::map<NodeId, std::size_t> group_of;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (NodeId id : groups[g]) group_of[id] = g;
  }
  blocked_.clear();
  for (const auto& [a, na] : nodes_) {
    for (const auto& [b, nb] : nodes_) {
      if (a == b) continue;
      auto ga = group_of.find(a);
      auto gb = group_of.find(b);
      if (ga == group_of.end() || gb == group_of.end() || ga->second != gb->second) {
        blocked_.insert({a, b});
      }
    }
  }
}

void Cluster::heal() { blocked_.clear(); }

bool Cluster::connected(NodeId from, NodeId to) const { return !blocked_.contains({from, to}); }

void Cluster::send(const Message& message) {
  ++messages_sent_;
  message_bytes_ += message.byte_size();
  ++messages_by_type_[static_cast<std::size_t>(message.type) % 32];
  if (message.type == MessageType::kAppendResponse && message.reject) ++append_rejections_;
  if (!nodes_.contains(message.to) || !connected(message.from, message.to)) return;
  const NetworkOptions& net = options_.network;
  if (net.drop > 0 && random_.chance(net.drop)) return;
  const int copies = net.duplicate > 0 && random_.chance(net.duplicate) ? 2 : 1;
  auto shared = std::make_shared<Message>(message);
  for (int i = 0; i < copies; ++i) {
    Micros latency = random_.uniform(net.min_latency, net.max_latency);
    if (net.long_delay > 0 && random_.chance(net.long_delay)) {
      latency += random_.uniform(0, net.max_long_delay);
    }
    Event e;
    e.time = now_ + latency;
    e.kind = Event::kDeliver;
    e.node = message.to;
    e.message = shared;
    push(std::move(e));
  }
}

void Cluster::deliver(const Message& m) {
  trace_hash_ =
      mix(mix(mix(mix(mix(trace_hash_, static_cast<std::uint64_t>(m.type)), m.from.value()),
                  m.term.value()),
              m.index.value()),
          m.entries.size() * 2 + (m.reject ? 1 : 0));
  Node& n = node(m.to);
  if (!n.up || !connected(m.from, m.to)) return;
  Status status = n.raft->step(m);
  (void)status;  // stale or misaddressed messages are the core's to judge
  drain(n);
  check_node(n);
}

void Cluster::tick(NodeId id, std::uint64_t incarnation) {
  Node& n = node(id);
  if (!n.up || n.incarnation != incarnation) return;
  n.raft->tick();
  drain(n);
  check_node(n);
  Event next;
  next.time = now_ + options_.tick_interval;
  next.kind = Event::kTick;
  next.node = id;
  next.incarnation = incarnation;
  push(std::move(next));
}

// ---------------------------------------------------------------------------
// the Ready contract

void Cluster::drain(Node& n) {
  while (n.up && n.raft->has_ready()) {
    Ready rd = n.raft->take_ready();
    for (const Message& m : rd.messages) send(m);  // step 1: no persistence needed
    mirror_ready(n, rd);
    const bool needs_disk = rd.hard_state || rd.snapshot || !rd.entries.empty();
    if (!needs_disk && n.unsynced.empty()) {
      finish_ready(n, rd);
      continue;
    }
    Micros done = std::max(now_, n.disk_free_at);
    if (needs_disk) done += random_.uniform(options_.min_fsync, options_.max_fsync);
    n.disk_free_at = done;
    n.unsynced.push_back(std::move(rd));
    Event e;
    e.time = done;
    e.kind = Event::kPersist;
    e.node = n.id;
    e.incarnation = n.incarnation;
    push(std::move(e));
  }
}

void Cluster::persist_done(NodeId id, std::uint64_t incarnation) {
  Node& n = node(id);
  if (!n.up || n.incarnation != incarnation || n.unsynced.empty()) return;
  Ready rd = std::move(n.unsynced.front());
  n.unsynced.pop_front();
  write_to_disk(n, rd);  // step 2 (now durable)
  if (rd.snapshot) {
    Status restored = n.kv->restore(rd.snapshot->data, rd.snapshot->meta.index);
    if (!restored.is_ok()) fail("node " + id.to_string() + ": restore: " + restored.to_string());
    if (rd.snapshot->meta.index > n.max_applied) n.max_applied = rd.snapshot->meta.index;
  }
  finish_ready(n, rd);
  drain(n);
  check_node(n);
}

void Cluster::write_to_disk(Node& n, const Ready& rd) {
  if (rd.snapshot) {
    Status s = n.disk.apply_snapshot(*rd.snapshot);
    if (!s.is_ok()) fail("node " + n.id.to_string() + ": apply_snapshot: " + s.to_string());
  }
  if (!rd.entries.empty()) {
    Status s = n.disk.append(rd.entries);
    if (!s.is_ok()) fail("node " + n.id.to_string() + ": append: " + s.to_string());
  }
  if (rd.hard_state) n.disk.set_hard_state(*rd.hard_state);
}

void Cluster::finish_ready(Node& n, Ready& rd) {
  for (const Message& m : rd.messages_after_persist) {  // step 3
    // A vote grant that leaves the node is a durable promise: one per term.
    if (m.type == MessageType::kVoteResponse && !m.reject) {
      auto [it, fresh] = votes_.emplace(std::pair{m.from.value(), m.term.value()}, m.to);
      if (!fresh && it->second != m.to) {
        fail("double vote: node " + m.from.to_string() + " granted its term-" + m.term.to_string() +
             " vote to " + it->second.to_string() + " and to " + m.to.to_string());
      }
    }
    send(m);
  }
  apply_committed(n, rd);  // step 4
  for (ReadState& rs : rd.read_states) n.reads.push_back(std::move(rs));
  serve_reads(n);
  n.raft->advance(rd);  // step 5
  const LogIndex applied = n.kv->applied_index();
  if (n.raft->should_snapshot(applied)) {
    auto meta = n.raft->snapshot_meta(applied);
    // A snapshot received from the leader (in a Ready still queued for the
    // disk) may already have replaced the core's log up to past `applied`;
    // then there is nothing to compact locally.
    if (!meta.is_ok() && meta.status().code() == StatusCode::kOutOfRange) return;
    if (!meta.is_ok()) {
      fail("node " + n.id.to_string() + ": snapshot_meta: " + meta.status().to_string());
      return;
    }
    Status s = n.disk.create_snapshot(*meta, n.kv->snapshot());
    if (!s.is_ok()) fail("node " + n.id.to_string() + ": create_snapshot: " + s.to_string());
  }
}

void Cluster::apply_committed(Node& n, const Ready& rd) {
  for (const Entry& e : rd.committed_entries) {
    const LogIndex expected = n.kv->applied_index().next();
    if (e.index != expected) {
      fail("node " + n.id.to_string() + " applied index " + e.index.to_string() + " but expected " +
           expected.to_string());
      return;
    }
    record_committed(n.id, e.index, e.term, entry_hash(e), &e.data, "applied");
    std::string result = n.kv->apply(e);
    if (e.index > n.max_applied) n.max_applied = e.index;
    if (on_apply) on_apply(n.id, e, result);
  }
}

void Cluster::serve_reads(Node& n) {
  const LogIndex applied = n.kv->applied_index();
  auto ready_end = std::stable_partition(n.reads.begin(), n.reads.end(),
                                         [&](const ReadState& rs) { return rs.index <= applied; });
  std::vector<ReadState> ready(n.reads.begin(), ready_end);
  n.reads.erase(n.reads.begin(), ready_end);
  for (const ReadState& rs : ready) {
    if (on_read) on_read(n.id, rs.context);
  }
}

// ---------------------------------------------------------------------------
// invariants

void Cluster::rebuild_mirror(Node& n) {
  n.mirror.clear();
  n.mirror_base = n.disk.first_index().value();
  n.mirror_base_term = n.disk.snapshot_meta().term.value();
  const LogIndex last = n.disk.last_index();
  if (last < n.disk.first_index()) return;
  auto entries = n.disk.entries(n.disk.first_index(), last.next(), UINT64_MAX);
  if (!entries.is_ok()) {
    fail("node " + n.id.to_string() + ": reading its log: " + entries.status().to_string());
    return;
  }
  for (const Entry& e : *entries) n.mirror.emplace_back(e.term.value(), entry_hash(e));
}

void Cluster::mirror_ready(Node& n, const Ready& rd) {
  if (rd.snapshot) {
    const std::uint64_t index = rd.snapshot->meta.index.value();
    const std::uint64_t term = rd.snapshot->meta.term.value();
    const bool keeps_suffix = index >= n.mirror_base && index < n.mirror_base + n.mirror.size() &&
                              n.mirror[index - n.mirror_base].first == term;
    if (keeps_suffix) {
      n.mirror.erase(n.mirror.begin(), n.mirror.begin() + (index - n.mirror_base + 1));
    } else {
      n.mirror.clear();
    }
    n.mirror_base = index + 1;
    n.mirror_base_term = term;
  }
  if (rd.entries.empty()) return;
  std::uint64_t first = rd.entries.front().index.value();
  if (first > n.mirror_base + n.mirror.size()) {
    fail("node " + n.id.to_string() + " wrote entry " + std::to_string(first) +
         " past the end of its log (" + std::to_string(n.mirror_base + n.mirror.size() - 1) + ")");
    return;
  }
  for (const Entry& e : rd.entries) {
    const std::uint64_t index = e.index.value();
    if (index < n.mirror_base) continue;  // covered by the snapshot
    n.mirror.resize(index - n.mirror_base);
    const std::uint64_t prev_term =
        index == n.mirror_base ? n.mirror_base_term : n.mirror.back().first;
    const std::uint64_t hash = entry_hash(e);
    n.mirror.emplace_back(e.term.value(), hash);
    if (e.term.value() < prev_term) {
      fail("node " + n.id.to_string() + " log terms decrease at index " + e.index.to_string());
    }
    auto [it, fresh] =
        entries_seen_.emplace(std::pair{index, e.term.value()}, std::pair{hash, prev_term});
    if (!fresh && it->second != std::pair{hash, prev_term}) {
      fail("log matching: node " + n.id.to_string() +
           " has a different entry (or predecessor) "
           "at index " +
           e.index.to_string() + " term " + e.term.to_string() + " than another node");
    }
  }
}

void Cluster::record_committed(NodeId id, LogIndex index, Term term, std::uint64_t hash,
                               const std::string* data, const char* how) {
  auto [it, fresh] = committed_.try_emplace(index.value());
  CommittedEntry& c = it->second;
  if (fresh) {
    c.term = term;
    c.hash = hash;
  } else if (c.term != term || c.hash != hash) {
    fail(std::string("state-machine safety: node ") + id.to_string() + " " + how + " index " +
         index.to_string() + " with term " + term.to_string() + " but term " + c.term.to_string() +
         " was committed there before");
    return;
  }
  if (data != nullptr && options_.keep_committed_data && c.data.empty()) c.data = *data;
}

void Cluster::check_leader_completeness(Node& n) {
  const std::uint64_t end = n.mirror_base + n.mirror.size();
  for (auto it = committed_.lower_bound(n.mirror_base); it != committed_.end(); ++it) {
    const std::uint64_t index = it->first;
    if (index >= end || n.mirror[index - n.mirror_base].first != it->second.term.value() ||
        n.mirror[index - n.mirror_base].second != it->second.hash) {
      fail("leader completeness: node " + n.id.to_string() + " became leader of term " +
           n.raft->term().to_string() + " without committed entry " + std::to_string(index) +
           " (term " + it->second.term.to_string() + ")");
      return;
    }
  }
}

void Cluster::check_node(Node& n) {
  if (!n.up) return;
  const bool is_leader = n.raft->role() == Role::kLeader;
  if (is_leader) {
    const std::uint64_t term = n.raft->term().value();
    auto [it, fresh] = leader_of_term_.emplace(term, n.id);
    if (!fresh && it->second != n.id) {
      fail("election safety: nodes " + it->second.to_string() + " and " + n.id.to_string() +
           " were both leader in term " + std::to_string(term));
    }
    if (!n.was_leader) {
      trace("node " + n.id.to_string() + " leads term " + std::to_string(term));
      check_leader_completeness(n);
    }
  }
  n.was_leader = is_leader;
  const LogIndex commit = n.raft->commit_index();
  for (LogIndex i = n.commit_recorded.next(); i <= commit; ++i) {
    const std::uint64_t index = i.value();
    if (index < n.mirror_base || index >= n.mirror_base + n.mirror.size()) continue;
    const auto& [term, hash] = n.mirror[index - n.mirror_base];
    record_committed(n.id, i, Term(term), hash, nullptr, "committed");
  }
  if (commit > n.commit_recorded) n.commit_recorded = commit;
}

// ---------------------------------------------------------------------------
// client entry points and observation

Result<LogIndex> Cluster::propose(NodeId id, std::string data) {
  Node& n = node(id);
  if (!n.up) return unavailable("node down");
  auto result = n.raft->propose(std::move(data));
  drain(n);
  check_node(n);
  return result;
}

Status Cluster::read_index(NodeId id, std::string context) {
  Node& n = node(id);
  if (!n.up) return unavailable("node down");
  Status s = n.raft->read_index(std::move(context));
  drain(n);
  check_node(n);
  return s;
}

Result<LogIndex> Cluster::propose_conf_change(NodeId id, const ConfChange& change) {
  Node& n = node(id);
  if (!n.up) return unavailable("node down");
  auto result = n.raft->propose_conf_change(change);
  drain(n);
  check_node(n);
  return result;
}

Status Cluster::transfer_leadership(NodeId id, NodeId target) {
  Node& n = node(id);
  if (!n.up) return unavailable("node down");
  Status s = n.raft->transfer_leadership(target);
  drain(n);
  check_node(n);
  return s;
}

std::vector<NodeId> Cluster::leaders() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_) {
    if (n->up && n->raft->role() == Role::kLeader) out.push_back(id);
  }
  return out;
}

NodeId Cluster::leader() const {
  NodeId best = kNoNode;
  Term best_term;
  for (const auto& [id, n] : nodes_) {
    if (n->up && n->raft->role() == Role::kLeader && n->raft->term() >= best_term) {
      best = id;
      best_term = n->raft->term();
    }
  }
  return best;
}

int Cluster::applied_count(LogIndex index) const {
  int count = 0;
  for (const auto& [id, n] : nodes_) {
    if (n->max_applied >= index) ++count;
  }
  return count;
}

std::optional<std::string> Cluster::committed_data(LogIndex index) const {
  auto it = committed_.find(index.value());
  if (it == committed_.end()) return std::nullopt;
  return it->second.data;
}

}  // namespace synod::consensus::sim
