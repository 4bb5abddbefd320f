// SimNetwork: a simulated cluster of gossip members in virtual time, shared
// by tests/discovery and bench/gossip/gossip_sim. Every member runs the real
// Memberlist; packets travel through an event queue with a random latency
// and optional loss. Members can be killed (silent forever), paused (no
// ticks; packets wait in their "socket buffer", as under SIGSTOP), resumed,
// or made to leave gracefully. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "discovery/memberlist.h"

namespace synod::discovery {

class SimNetwork {
 public:
  struct Config {
    std::size_t members = 7;
    std::uint64_t seed = 1;
    Options base;  // name, id and address are filled per member
    Duration min_latency = std::chrono::microseconds(200);
    Duration max_latency = std::chrono::microseconds(1500);
    double loss = 0.0;  // probability a packet is dropped
    Duration step = std::chrono::milliseconds(1);
    Duration push_pull_interval = std::chrono::seconds(30);  // gossip.push_pull_interval
  };
  // A state change seen by one member, with its virtual time.
  struct Observed {
    MonoTime at;
    std::size_t observer;
    MemberEvent event;
  };

  explicit SimNetwork(Config config);
  ~SimNetwork();

  // Every member joins through member 0 (UDP push-pull), retrying each
  // second while it knows no one else.
  void join_all();
  void run_for(Duration d);
  // Runs until `done()` or `limit` passes; true if done.
  bool run_until(const std::function<bool()>& done, Duration limit);

  void kill(std::size_t i);
  void pause(std::size_t i);
  void resume(std::size_t i);
  void leave(std::size_t i);
  // Delivers raw bytes to member `i` as if from `from` (bad-packet tests).
  void inject(std::size_t i, const std::string& from, Bytes bytes);

  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  Memberlist& member(std::size_t i);
  [[nodiscard]] static std::string name_of(std::size_t i);
  [[nodiscard]] MonoTime now() const { return clock_.now(); }
  // How member `observer` sees member `target` (nullopt: unknown).
  [[nodiscard]] std::optional<MemberState> view(std::size_t observer, std::size_t target) const;
  // True if every running member other than `target` sees it in `state`.
  [[nodiscard]] bool all_see(std::size_t target, MemberState state) const;
  // True if every running member knows every member as alive.
  [[nodiscard]] bool converged() const;
  [[nodiscard]] bool running(std::size_t i) const;
  [[nodiscard]] const std::vector<Observed>& events() const { return events_; }

 private:
  struct Node;
  struct Packet {
    MonoTime at;
    std::uint64_t order;
    std::size_t to;
    std::string from;
    Bytes bytes;
    bool operator>(const Packet& o) const {
      return at != o.at ? at > o.at : order > o.order;
    }
  };
  void send(std::size_t from, const std::string& to, Bytes bytes);
  void step();

  Config config_;
  ManualClock clock_;
  SeededRandom net_random_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<>> in_flight_;
  std::uint64_t next_order_ = 0;
  std::vector<Observed> events_;
  bool joining_ = false;
  MonoTime next_rejoin_{};
};

}  // namespace synod::discovery
