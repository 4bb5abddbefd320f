// Memberlist: the SWIM gossip protocol with the Lifeguard extensions, as a
// pure state machine (no sockets, no threads, no clock or randomness of its
// own), so unit tests and bench/gossip/gossip_sim run the same code on a
// simulated network.
//
// Driven from outside:
//   handle_packet(from, bytes)  a UDP datagram arrived;
//   tick()                      runs whatever is due at clock.now(): the next
//                               probe, indirect probes, suspicion timeouts,
//                               gossip rounds (call it every few ms);
//   join(address)               a push-pull over UDP to a seed;
//   encode_push_pull / merge_push_pull   full state sync over a stream
//                               (the node carries it on the peer transport).
// Out: PacketSink::send_packet(address, bytes) and the member event observer.
//
// Protocol summary (docs/discovery.md): every probe_interval the next member
// of a shuffled round-robin list is pinged; without an ack within
// probe_timeout, indirect_checks other members ping it on our behalf (and
// nack if they hear nothing); without any ack by the end of the interval it is
// suspected. A suspected member that hears of it refutes by raising its
// incarnation; otherwise it is declared dead when its Lifeguard suspicion
// timer (suspicion.h) expires. Updates ride on pings and acks and on gossip
// rounds to gossip_nodes random members. Probe timeouts and the interval are
// multiplied by (health score + 1): the score rises when this node misses
// nacks or has to refute, so a slow node suspects others less eagerly.
//
// Threading: not thread-safe; one owner thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "discovery/broadcast_queue.h"
#include "discovery/member.h"
#include "discovery/messages.h"
#include "discovery/options.h"
#include "discovery/packet_sealer.h"
#include "discovery/suspicion.h"

namespace synod::discovery {

// Where the core's datagrams go: the UDP socket, or the simulated network.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // Best effort, never blocks; loss is the protocol's problem.
  virtual void send_packet(const std::string& address, Bytes packet) = 0;
};

// Counters of one instance (the Prometheus metrics aggregate all of them).
struct GossipStats {
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t bad_packets = 0;
  std::uint64_t probes = 0;
  std::uint64_t probe_failures = 0;
  std::uint64_t suspicions = 0;  // members this node started suspecting
  std::uint64_t deaths = 0;      // members this node marked dead
  std::uint64_t refutations = 0;
  std::uint64_t stale_suspicions = 0;  // stale suspicions answered with a newer alive
};

class Memberlist {
 public:
  using Observer = std::function<void(const MemberEvent&)>;

  // `sealer` null means NoopSealer. `clock`, `random` and `sink` must outlive
  // this object.
  Memberlist(Options options, const Clock& clock, Random& random, PacketSink& sink,
             std::shared_ptr<PacketSealer> sealer = nullptr);

  void set_observer(Observer observer) { observer_ = std::move(observer); }

  void handle_packet(const std::string& from, ByteView data);
  void tick();

  // Sends our state to `address` and asks for theirs (UDP push-pull).
  void join(const std::string& address);
  // Full state for a stream push-pull; merge_push_pull() takes the peer's.
  [[nodiscard]] Bytes encode_push_pull(bool request) const;
  Status merge_push_pull(ByteView data);

  // Graceful leave: tells every member we left (state left, not dead) and
  // stops refuting; the object should then be dropped.
  void leave();
  // Marks a dead member as left (Consul's force-leave); with `prune` it is
  // dropped from the list at once. Errors: not found, or member not failed.
  Status force_leave(const std::string& name, bool prune);

  // Changes this member's metadata and gossips it (raises the incarnation).
  void set_local_meta(const std::string& key, const std::string& value);
  void erase_local_meta(const std::string& key);

  // Every known member, this one included, sorted by name.
  [[nodiscard]] std::vector<Member> members() const;
  [[nodiscard]] const Member* find(const std::string& name) const;
  [[nodiscard]] const Member& local() const;
  // Members that are alive or suspect, this one included.
  [[nodiscard]] std::size_t live_count() const;
  // A random live member other than this one (push-pull partner).
  [[nodiscard]] std::optional<Member> random_live_member();
  // Lifeguard's local health score (0 = healthy).
  [[nodiscard]] std::uint32_t health_score() const { return awareness_; }
  [[nodiscard]] bool leaving() const { return leaving_; }
  [[nodiscard]] const GossipStats& stats() const { return stats_; }
  [[nodiscard]] const Options& options() const { return options_; }
  // Suspicion timeout bounds for the current cluster size (for docs/tests).
  [[nodiscard]] Duration suspicion_min() const;
  [[nodiscard]] Duration suspicion_max() const { return suspicion_min() * options_.suspicion_max_multiplier; }

 private:
  struct Probe {
    bool active = false;
    std::string target;
    std::uint32_t seq = 0;
    MonoTime ack_deadline{};
    MonoTime end{};
    bool indirect_sent = false;
    std::uint32_t expected_nacks = 0;
    std::uint32_t nacks = 0;
  };
  struct Relay {
    std::string requester;  // address
    std::uint32_t seq = 0;  // the requester's sequence number
    MonoTime deadline{};
  };

  void on_message(const std::string& from, Message& message);
  void on_ping(const std::string& from, const Ping& ping);
  void on_indirect_ping(const std::string& from, const IndirectPing& ping);
  void on_ack(const Ack& ack);
  void on_nack(const Nack& nack);
  void on_alive(const Alive& alive);
  void on_suspect(const Suspect& suspect);
  void on_dead(const Dead& dead);
  void on_sync(const std::string& from, Sync& sync);
  void merge(const Sync& sync);

  void run_probe(MonoTime now);
  void start_probe(MonoTime now);
  void probe_failed();
  void expire_relays(MonoTime now);
  void expire_suspicions(MonoTime now);
  void gossip_round(MonoTime now);
  void reap(MonoTime now);

  void refute(std::uint32_t incarnation);
  // Answers a suspicion older than `m`'s current incarnation: the newer
  // alive goes straight to the suspecter and back into gossip.
  void correct_stale_suspicion(const std::string& suspecter, const Member& m);
  void broadcast(const std::string& name, const Message& message);
  // Sends `primary` plus as many piggybacked updates as fit.
  void send(const std::string& address, const Message& primary);
  void send_raw(const std::string& address, const std::vector<Bytes>& messages);
  void set_state(Member& member, MemberState state);
  void emit(MemberEvent::Kind kind, const Member& member, MemberState old_state);
  void adjust_awareness(int delta);
  [[nodiscard]] Duration scaled(Duration d) const { return d * (awareness_ + 1); }
  [[nodiscard]] Alive alive_of(const Member& member) const;
  [[nodiscard]] Sync local_state(bool request) const;
  void bad_packet(const char* reason, const std::string& from, const Status& why);
  void update_gauges();
  void shuffle(std::vector<std::string>& names);

  Options options_;
  const Clock& clock_;
  Random& random_;
  PacketSink& sink_;
  std::shared_ptr<PacketSealer> sealer_;
  Observer observer_;

  std::map<std::string, Member> members_;  // this member included
  std::map<std::string, Suspicion> suspicions_;
  BroadcastQueue broadcasts_;
  std::vector<std::string> probe_order_;
  std::size_t probe_index_ = 0;
  Probe probe_;
  std::map<std::uint32_t, Relay> relays_;  // by our own sequence number
  std::uint32_t next_seq_ = 1;
  std::uint32_t awareness_ = 0;
  MonoTime next_probe_at_{};
  MonoTime next_gossip_at_{};
  MonoTime next_reap_at_{};
  bool leaving_ = false;
  GossipStats stats_;
};

}  // namespace synod::discovery
