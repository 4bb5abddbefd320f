#include "discovery/memberlist.h"

#include <algorithm>
#include <cmath>

#include "common/metrics.h"

namespace synod::discovery {
namespace {

struct GossipMetrics {
  metrics::Counter& sent;
  metrics::Counter& received;
  metrics::Counter& bad_decode;
  metrics::Counter& bad_open;
  metrics::Counter& bad_seal;
  metrics::Counter& probes;
  metrics::Counter& probe_failures;
  metrics::Counter& suspicions;
  metrics::Counter& deaths;
  metrics::Counter& refutations;
  metrics::Counter& stale_suspicions;
  metrics::Gauge& alive;
  metrics::Gauge& suspect;
  metrics::Gauge& dead;
  metrics::Gauge& left;
  metrics::Gauge& health;
};

GossipMetrics& gossip_metrics() {
  auto& r = metrics::Registry::global();
  constexpr const char* kBad = "synod_gossip_bad_packets_total";
  constexpr const char* kBadHelp = "Gossip packets dropped because they did not open or decode";
  constexpr const char* kMembers = "synod_gossip_members";
  constexpr const char* kMembersHelp = "Gossip members known to this node, by state";
  static GossipMetrics m{
      r.counter("synod_gossip_packets_sent_total", "Gossip UDP packets sent"),
      r.counter("synod_gossip_packets_received_total", "Gossip UDP packets received"),
      r.counter(kBad, kBadHelp, {{"reason", "decode"}}),
      r.counter(kBad, kBadHelp, {{"reason", "open"}}),
      r.counter("synod_gossip_seal_failures_total", "Gossip packets that could not be sealed"),
      r.counter("synod_gossip_probes_total", "Direct probes started"),
      r.counter("synod_gossip_probe_failures_total", "Probes that got no ack (direct or indirect)"),
      r.counter("synod_gossip_suspicions_total", "Members this node started to suspect"),
      r.counter("synod_gossip_deaths_total", "Members this node declared dead"),
      r.counter("synod_gossip_refutations_total", "Suspicions of this node it refuted"),
      r.counter("synod_gossip_stale_suspicions_total",
                "Suspicions older than a member's refutation, answered with the newer alive"),
      r.gauge(kMembers, kMembersHelp, {{"state", "alive"}}),
      r.gauge(kMembers, kMembersHelp, {{"state", "suspect"}}),
      r.gauge(kMembers, kMembersHelp, {{"state", "dead"}}),
      r.gauge(kMembers, kMembersHelp, {{"state", "left"}}),
      r.gauge("synod_gossip_health_score", "Lifeguard local health score (0 = healthy)"),
  };
  return m;
}

bool is_live(MemberState s) { return s == MemberState::kAlive || s == MemberState::kSuspect; }

constexpr std::size_t kPacketHeader = 3;

}  // namespace

Memberlist::Memberlist(Options options, const Clock& clock, Random& random, PacketSink& sink,
                       std::shared_ptr<PacketSealer> sealer)
    : options_(std::move(options)),
      clock_(clock),
      random_(random),
      sink_(sink),
      sealer_(sealer ? std::move(sealer) : std::make_shared<NoopSealer>()),
      broadcasts_(options_.retransmit_multiplier) {
  Member self;
  self.name = options_.name;
  self.id = options_.id;
  self.address = options_.address;
  self.meta = options_.meta;
  self.state_since = clock_.now();
  members_[self.name] = self;
  const MonoTime now = clock_.now();
  next_probe_at_ = now;
  next_gossip_at_ = now;
  next_reap_at_ = now;
  update_gauges();
}

// ---------------------------------------------------------------- inbound

void Memberlist::handle_packet(const std::string& from, ByteView data) {
  ++stats_.packets_received;
  gossip_metrics().received.inc();
  auto opened = sealer_->open(data);
  if (!opened.is_ok()) return bad_packet("open", from, opened.status());
  auto messages = decode_packet(*opened);
  if (!messages.is_ok()) return bad_packet("decode", from, messages.status());
  for (auto& message : *messages) on_message(from, message);
}

void Memberlist::bad_packet(const char* reason, const std::string& from, const Status& why) {
  ++stats_.bad_packets;
  auto& m = gossip_metrics();
  (std::string_view(reason) == "open" ? m.bad_open : m.bad_decode).inc();
  (void)from;
  (void)why;  // the service logs (rate-limited); the core stays quiet
}

void Memberlist::on_message(const std::string& from, Message& message) {
  std::visit(
      [this, &from](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Ping>) on_ping(from, m);
        if constexpr (std::is_same_v<T, IndirectPing>) on_indirect_ping(from, m);
        if constexpr (std::is_same_v<T, Ack>) on_ack(m);
        if constexpr (std::is_same_v<T, Nack>) on_nack(m);
        if constexpr (std::is_same_v<T, Alive>) on_alive(m);
        if constexpr (std::is_same_v<T, Suspect>) on_suspect(m);
        if constexpr (std::is_same_v<T, Dead>) on_dead(m);
        if constexpr (std::is_same_v<T, Sync>) on_sync(from, m);
      },
      message);
}

void Memberlist::on_ping(const std::string& from, const Ping& ping) {
  // A ping meant for a member that used to live at this address is not ours
  // to answer (SWIM would otherwise vouch for the wrong member).
  if (!ping.target.empty() && ping.target != options_.name) return;
  if (leaving_) return;
  send(from, Ack{ping.seq, options_.name});
}

void Memberlist::on_indirect_ping(const std::string& from, const IndirectPing& ping) {
  if (leaving_) return;
  const std::uint32_t seq = next_seq_++;
  relays_[seq] = Relay{from, ping.seq, clock_.now() + scaled(options_.probe_timeout) * 8 / 10};
  send(ping.target_address, Ping{seq, ping.target, options_.name});
}

void Memberlist::on_ack(const Ack& ack) {
  if (auto relay = relays_.find(ack.seq); relay != relays_.end()) {
    send(relay->second.requester, Ack{relay->second.seq, ack.source});
    relays_.erase(relay);
    return;
  }
  if (probe_.active && ack.seq == probe_.seq && ack.source == probe_.target) {
    probe_.active = false;
    adjust_awareness(-1);
  }
}

void Memberlist::on_nack(const Nack& nack) {
  if (probe_.active && nack.seq == probe_.seq) ++probe_.nacks;
}

// Alive: a newer incarnation wins; news about ourselves that we did not send
// (an older life of this name, or a stale meta) is refuted.
void Memberlist::on_alive(const Alive& alive) {
  if (alive.name == options_.name) {
    const Member& self = local();
    if (leaving_) return;
    const bool differs = alive.meta != self.meta || alive.address != self.address;
    if (alive.incarnation > self.incarnation || (alive.incarnation == self.incarnation && differs)) {
      refute(alive.incarnation);
    }
    return;
  }
  auto it = members_.find(alive.name);
  if (it == members_.end()) {
    Member m;
    m.name = alive.name;
    m.id = alive.id;
    m.address = alive.address;
    m.incarnation = alive.incarnation;
    m.meta = alive.meta;
    m.state = MemberState::kAlive;
    m.state_since = clock_.now();
    members_[m.name] = m;
    // New members join the probe rotation at a random place.
    const std::size_t at = probe_order_.empty() ? 0 : random_.uniform(0, probe_order_.size());
    probe_order_.insert(probe_order_.begin() + static_cast<std::ptrdiff_t>(at), m.name);
    broadcast(m.name, alive);
    emit(MemberEvent::Kind::kJoined, m, MemberState::kAlive);
    update_gauges();
    return;
  }
  Member& m = it->second;
  if (alive.incarnation <= m.incarnation) return;
  const MemberState old = m.state;
  const bool changed = alive.meta != m.meta || alive.address != m.address || alive.id != m.id;
  m.incarnation = alive.incarnation;
  m.meta = alive.meta;
  m.address = alive.address;
  m.id = alive.id;
  suspicions_.erase(m.name);
  broadcast(m.name, alive);
  if (old != MemberState::kAlive) {
    set_state(m, MemberState::kAlive);
    emit(MemberEvent::Kind::kStateChanged, m, old);
  } else if (changed) {
    emit(MemberEvent::Kind::kUpdated, m, old);
  }
}

void Memberlist::on_suspect(const Suspect& suspect) {
  auto it = members_.find(suspect.name);
  if (it == members_.end()) return;
  Member& m = it->second;
  if (suspect.incarnation < m.incarnation && m.state == MemberState::kAlive && !leaving_) {
    // A stale suspicion: its sender has not heard the refutation (an alive
    // with a newer incarnation). Refutations spread by gossip with a few
    // retransmits each, so one member can miss them all and declare the
    // member dead although it is alive. Tell the suspecter directly and
    // spread the newer state again.
    correct_stale_suspicion(suspect.from, m);
    return;
  }
  if (suspect.incarnation < m.incarnation || !is_live(m.state)) return;
  if (suspect.name == options_.name) {
    if (leaving_) return;
    refute(suspect.incarnation);
    adjust_awareness(1);  // Lifeguard: being suspected hints that we are the slow one
    return;
  }
  if (m.state == MemberState::kSuspect) {
    auto timer = suspicions_.find(m.name);
    if (timer != suspicions_.end() && timer->second.confirm(suspect.from)) {
      broadcast(m.name, suspect);
    }
    return;
  }
  const MonoTime now = clock_.now();
  const std::size_t live = live_count();
  const std::uint32_t expected = static_cast<std::uint32_t>(
      std::min<std::size_t>(options_.indirect_checks, live > 2 ? live - 2 : 0));
  suspicions_.erase(m.name);
  suspicions_.emplace(m.name,
                      Suspicion(suspect.from, expected, suspicion_min(), suspicion_max(), now));
  m.incarnation = suspect.incarnation;
  const MemberState old = m.state;
  set_state(m, MemberState::kSuspect);
  if (suspect.from == options_.name) {
    ++stats_.suspicions;
    gossip_metrics().suspicions.inc();
  }
  broadcast(m.name, suspect);
  emit(MemberEvent::Kind::kStateChanged, m, old);
}

void Memberlist::correct_stale_suspicion(const std::string& suspecter, const Member& m) {
  if (suspecter != options_.name) {
    if (auto it = members_.find(suspecter); it != members_.end() && is_live(it->second.state)) {
      send_raw(it->second.address, {encode_message(alive_of(m))});
    }
  }
  broadcast(m.name, alive_of(m));
  ++stats_.stale_suspicions;
  gossip_metrics().stale_suspicions.inc();
}

void Memberlist::on_dead(const Dead& dead) {
  auto it = members_.find(dead.name);
  if (it == members_.end()) return;
  Member& m = it->second;
  const bool left = dead.from == dead.name;
  if (dead.incarnation < m.incarnation) return;
  if (m.state == MemberState::kLeft || (m.state == MemberState::kDead && !left)) return;
  if (dead.name == options_.name) {
    if (!leaving_) refute(dead.incarnation);
    return;
  }
  m.incarnation = dead.incarnation;
  suspicions_.erase(m.name);
  const MemberState old = m.state;
  set_state(m, left ? MemberState::kLeft : MemberState::kDead);
  if (!left && dead.from == options_.name) {
    ++stats_.deaths;
    gossip_metrics().deaths.inc();
  }
  broadcast(m.name, dead);
  emit(MemberEvent::Kind::kStateChanged, m, old);
}

void Memberlist::on_sync(const std::string& from, Sync& sync) {
  merge(sync);
  if (sync.request && !leaving_) send_raw(from, {encode_message(local_state(false))});
}

// A remote "dead" is only a suspicion here (the remote may be partitioned
// from a live member); a remote "left" is final.
void Memberlist::merge(const Sync& sync) {
  for (const auto& record : sync.members) {
    switch (record.state) {
      case MemberState::kAlive:
        on_alive(record.alive);
        break;
      case MemberState::kSuspect:
        on_alive(record.alive);
        on_suspect(Suspect{record.alive.incarnation, record.alive.name, sync.source});
        break;
      case MemberState::kDead:
        on_suspect(Suspect{record.alive.incarnation, record.alive.name, sync.source});
        break;
      case MemberState::kLeft:
        on_dead(Dead{record.alive.incarnation, record.alive.name, record.alive.name});
        break;
    }
  }
}

// ---------------------------------------------------------------- timers

void Memberlist::tick() {
  const MonoTime now = clock_.now();
  if (leaving_) return;
  run_probe(now);
  expire_relays(now);
  expire_suspicions(now);
  if (now >= next_gossip_at_) {
    gossip_round(now);
    next_gossip_at_ = now + options_.gossip_interval;
  }
  if (now >= next_reap_at_) {
    reap(now);
    next_reap_at_ = now + std::chrono::seconds(1);
  }
}

void Memberlist::run_probe(MonoTime now) {
  if (probe_.active && !probe_.indirect_sent && now >= probe_.ack_deadline) {
    // No direct ack: ask up to indirect_checks others to try (SWIM ping-req).
    probe_.indirect_sent = true;
    auto target = members_.find(probe_.target);
    if (target != members_.end()) {
      std::vector<std::string> helpers;
      for (const auto& [name, m] : members_) {
        if (name != options_.name && name != probe_.target && m.state == MemberState::kAlive) {
          helpers.push_back(name);
        }
      }
      shuffle(helpers);
      helpers.resize(std::min<std::size_t>(helpers.size(), options_.indirect_checks));
      for (const auto& helper : helpers) {
        send(members_[helper].address,
             IndirectPing{probe_.seq, probe_.target, target->second.address, options_.name});
      }
      probe_.expected_nacks = static_cast<std::uint32_t>(helpers.size());
    }
  }
  if (probe_.active && now >= probe_.end) probe_failed();
  if (!probe_.active && now >= next_probe_at_) start_probe(now);
}

void Memberlist::start_probe(MonoTime now) {
  next_probe_at_ = now + scaled(options_.probe_interval);
  for (std::size_t tries = 0; tries <= probe_order_.size() + 1; ++tries) {
    if (probe_index_ >= probe_order_.size()) {
      probe_order_.clear();
      for (const auto& [name, m] : members_) {
        if (name != options_.name && is_live(m.state)) probe_order_.push_back(name);
      }
      shuffle(probe_order_);
      probe_index_ = 0;
      if (probe_order_.empty()) return;
    }
    const std::string name = probe_order_[probe_index_++];
    auto it = members_.find(name);
    if (it == members_.end() || !is_live(it->second.state)) continue;
    probe_ = Probe{};
    probe_.active = true;
    probe_.target = name;
    probe_.seq = next_seq_++;
    probe_.ack_deadline = now + scaled(options_.probe_timeout);
    probe_.end = next_probe_at_;
    ++stats_.probes;
    gossip_metrics().probes.inc();
    send(it->second.address, Ping{probe_.seq, name, options_.name});
    return;
  }
}

void Memberlist::probe_failed() {
  probe_.active = false;
  ++stats_.probe_failures;
  gossip_metrics().probe_failures.inc();
  // Lifeguard: helpers that did not even nack suggest that our own network
  // or process is the problem, not the target's.
  int delta = 1;
  if (probe_.expected_nacks > 0) {
    delta = static_cast<int>(probe_.expected_nacks) - static_cast<int>(probe_.nacks);
  }
  adjust_awareness(std::max(delta, 0));
  auto it = members_.find(probe_.target);
  if (it == members_.end() || !is_live(it->second.state)) return;
  on_suspect(Suspect{it->second.incarnation, probe_.target, options_.name});
}

void Memberlist::expire_relays(MonoTime now) {
  for (auto it = relays_.begin(); it != relays_.end();) {
    if (now >= it->second.deadline) {
      send(it->second.requester, Nack{it->second.seq});
      it = relays_.erase(it);
    } else {
      ++it;
    }
  }
}

void Memberlist::expire_suspicions(MonoTime now) {
  std::vector<std::string> expired;
  for (const auto& [name, timer] : suspicions_) {
    if (now >= timer.deadline()) expired.push_back(name);
  }
  for (const auto& name : expired) {
    auto it = members_.find(name);
    suspicions_.erase(name);
    if (it == members_.end() || it->second.state != MemberState::kSuspect) continue;
    on_dead(Dead{it->second.incarnation, name, options_.name});
  }
}

void Memberlist::gossip_round(MonoTime now) {
  if (broadcasts_.size() == 0) return;
  std::vector<std::string> targets;
  for (const auto& [name, m] : members_) {
    if (name == options_.name) continue;
    if (is_live(m.state) || now - m.state_since < options_.gossip_to_dead) targets.push_back(name);
  }
  shuffle(targets);
  targets.resize(std::min<std::size_t>(targets.size(), options_.gossip_nodes));
  for (const auto& name : targets) {
    auto updates =
        broadcasts_.take(options_.max_packet_bytes - kPacketHeader, 0, members_.size());
    if (updates.empty()) break;
    send_raw(members_[name].address, updates);
  }
}

void Memberlist::reap(MonoTime now) {
  for (auto it = members_.begin(); it != members_.end();) {
    const Member& m = it->second;
    if (it->first != options_.name && !is_live(m.state) &&
        now - m.state_since >= options_.reap_after) {
      Member gone = m;
      it = members_.erase(it);
      emit(MemberEvent::Kind::kReaped, gone, gone.state);
    } else {
      ++it;
    }
  }
}

// ---------------------------------------------------------------- local node

void Memberlist::refute(std::uint32_t incarnation) {
  Member& self = members_[options_.name];
  self.incarnation = std::max(self.incarnation, incarnation) + 1;
  ++stats_.refutations;
  gossip_metrics().refutations.inc();
  broadcast(self.name, alive_of(self));
}

void Memberlist::join(const std::string& address) {
  send_raw(address, {encode_message(local_state(true))});
}

Bytes Memberlist::encode_push_pull(bool request) const { return encode_sync(local_state(request)); }

Status Memberlist::merge_push_pull(ByteView data) {
  auto sync = decode_sync(data);
  if (!sync.is_ok()) {
    ++stats_.bad_packets;
    gossip_metrics().bad_decode.inc();
    return sync.status();
  }
  merge(*sync);
  return Status::ok();
}

void Memberlist::leave() {
  if (leaving_) return;
  Member& self = members_[options_.name];
  self.incarnation += 1;
  const MemberState old = self.state;
  set_state(self, MemberState::kLeft);
  emit(MemberEvent::Kind::kStateChanged, self, old);
  const Dead left{self.incarnation, self.name, self.name};
  // Told to every live member directly (and gossiped), so it does not depend
  // on this node staying up for gossip rounds.
  broadcast(self.name, left);
  leaving_ = true;
  for (const auto& [name, m] : members_) {
    if (name != options_.name && is_live(m.state)) send_raw(m.address, {encode_message(left)});
  }
}

Status Memberlist::force_leave(const std::string& name, bool prune) {
  auto it = members_.find(name);
  if (it == members_.end()) return not_found("no member named " + name);
  if (name == options_.name) return invalid_argument("use leave for this node");
  if (it->second.state == MemberState::kAlive) {
    return failed_precondition("member " + name + " is alive; only failed members can be forced to leave");
  }
  if (it->second.state != MemberState::kLeft) {
    on_dead(Dead{it->second.incarnation, name, name});
  }
  if (prune) {
    Member gone = members_[name];
    members_.erase(name);
    emit(MemberEvent::Kind::kReaped, gone, gone.state);
  }
  return Status::ok();
}

void Memberlist::set_local_meta(const std::string& key, const std::string& value) {
  Member& self = members_[options_.name];
  auto found = self.meta.find(key);
  if (found != self.meta.end() && found->second == value) return;
  self.meta[key] = value;
  self.incarnation += 1;
  if (!leaving_) broadcast(self.name, alive_of(self));
}

void Memberlist::erase_local_meta(const std::string& key) {
  Member& self = members_[options_.name];
  if (self.meta.erase(key) == 0) return;
  self.incarnation += 1;
  if (!leaving_) broadcast(self.name, alive_of(self));
}

// ---------------------------------------------------------------- queries

std::vector<Member> Memberlist::members() const {
  std::vector<Member> out;
  out.reserve(members_.size());
  for (const auto& [name, m] : members_) out.push_back(m);
  return out;
}

const Member* Memberlist::find(const std::string& name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : &it->second;
}

const Member& Memberlist::local() const { return members_.at(options_.name); }

std::size_t Memberlist::live_count() const {
  return static_cast<std::size_t>(std::count_if(
      members_.begin(), members_.end(), [](const auto& e) { return is_live(e.second.state); }));
}

std::optional<Member> Memberlist::random_live_member() {
  std::vector<const Member*> live;
  for (const auto& [name, m] : members_) {
    if (name != options_.name && m.state == MemberState::kAlive) live.push_back(&m);
  }
  if (live.empty()) return std::nullopt;
  return *live[random_.uniform(0, live.size() - 1)];
}

Duration Memberlist::suspicion_min() const {
  const double n = static_cast<double>(std::max<std::size_t>(1, live_count()));
  const double factor = std::max(1.0, std::log10(n));
  return std::chrono::duration_cast<Duration>(options_.probe_interval *
                                              (options_.suspicion_multiplier * factor));
}

// ---------------------------------------------------------------- helpers

Alive Memberlist::alive_of(const Member& m) const {
  return Alive{m.incarnation, m.name, m.id, m.address, m.meta};
}

Sync Memberlist::local_state(bool request) const {
  Sync sync;
  sync.request = request;
  sync.source = options_.name;
  for (const auto& [name, m] : members_) sync.members.push_back({alive_of(m), m.state});
  return sync;
}

void Memberlist::broadcast(const std::string& name, const Message& message) {
  broadcasts_.push(name, encode_message(message));
}

void Memberlist::send(const std::string& address, const Message& primary) {
  std::vector<Bytes> messages{encode_message(primary)};
  const std::size_t used = kPacketHeader + messages.front().size();
  if (used < options_.max_packet_bytes) {
    for (auto& update : broadcasts_.take(options_.max_packet_bytes - used, 0, members_.size())) {
      messages.push_back(std::move(update));
    }
  }
  send_raw(address, messages);
}

void Memberlist::send_raw(const std::string& address, const std::vector<Bytes>& messages) {
  if (address.empty()) return;
  auto sealed = sealer_->seal(encode_packet(messages));
  if (!sealed.is_ok()) {
    gossip_metrics().bad_seal.inc();
    return;
  }
  ++stats_.packets_sent;
  gossip_metrics().sent.inc();
  sink_.send_packet(address, std::move(*sealed));
}

void Memberlist::set_state(Member& member, MemberState state) {
  member.state = state;
  member.state_since = clock_.now();
  update_gauges();
}

void Memberlist::emit(MemberEvent::Kind kind, const Member& member, MemberState old_state) {
  if (!observer_) return;
  MemberEvent event;
  event.kind = kind;
  event.member = member;
  event.old_state = old_state;
  event.new_state = member.state;
  observer_(event);
}

void Memberlist::adjust_awareness(int delta) {
  const int next = std::clamp(static_cast<int>(awareness_) + delta, 0,
                              static_cast<int>(options_.awareness_max) - 1);
  awareness_ = static_cast<std::uint32_t>(next);
  gossip_metrics().health.set(awareness_);
}

void Memberlist::update_gauges() {
  std::size_t counts[5] = {0, 0, 0, 0, 0};
  for (const auto& [name, m] : members_) ++counts[static_cast<int>(m.state)];
  auto& g = gossip_metrics();
  g.alive.set(static_cast<double>(counts[1]));
  g.suspect.set(static_cast<double>(counts[2]));
  g.dead.set(static_cast<double>(counts[3]));
  g.left.set(static_cast<double>(counts[4]));
}

void Memberlist::shuffle(std::vector<std::string>& names) {
  for (std::size_t i = names.size(); i > 1; --i) {
    std::swap(names[i - 1], names[random_.uniform(0, i - 1)]);
  }
}

}  // namespace synod::discovery
