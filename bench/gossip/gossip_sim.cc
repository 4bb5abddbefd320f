// gossip_sim: failure detection of the gossip core (discovery/memberlist.h)
// on a simulated LAN (discovery/sim_network.h), default gossip.* settings.
// For 10- and 50-member clusters, over several seeds:
//   - detection: a member is killed; time until the first member suspects
//     it, until every member sees it dead;
//   - stall: a member is paused for `--stall-ms` (below the suspicion
//     timeout) and resumed; it must not be declared dead;
//   - false positives: members wrongly declared dead (healthy members in a
//     run with 1% packet loss, and everyone but the victim above).
// Usage: gossip_sim [--runs N] [--stall-ms MS] [--loss P]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "discovery/sim_network.h"

using namespace synod;
using namespace synod::discovery;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

struct Row {
  std::size_t members;
  std::vector<double> first_suspect_ms;
  std::vector<double> all_dead_ms;
  int stalled_declared_dead = 0;
  int false_deaths = 0;
  int undetected = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int dead_events(const SimNetwork& net, const std::string& except) {
  int n = 0;
  for (const auto& e : net.events()) {
    if (e.event.kind == MemberEvent::Kind::kStateChanged &&
        e.event.new_state == MemberState::kDead && e.event.member.name != except) {
      ++n;
    }
  }
  return n;
}

SimNetwork::Config sim_config(std::size_t members, std::uint64_t seed, double loss) {
  SimNetwork::Config c;
  c.members = members;
  c.seed = seed;
  c.loss = loss;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  int stall_ms = 500;
  double loss = 0.01;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--stall-ms")) stall_ms = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--loss")) loss = std::atof(argv[i + 1]);
  }
  std::vector<Row> rows;
  for (std::size_t members : {10u, 50u}) {
    Row row{members, {}, {}, 0, 0, 0};
    for (int run = 0; run < runs; ++run) {
      const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(run);
      // Detection of a crash, with `loss` packet loss.
      {
        SimNetwork net(sim_config(members, seed, loss));
        net.join_all();
        net.run_until([&] { return net.converged(); }, seconds(60));
        net.run_for(seconds(5));
        const std::size_t victim = 1 + static_cast<std::size_t>(run) % (members - 1);
        const MonoTime killed = net.now();
        net.kill(victim);
        bool suspected = net.run_until(
            [&] {
              for (std::size_t i = 0; i < members; ++i) {
                if (i != victim && net.view(i, victim) != MemberState::kAlive) return true;
              }
              return false;
            },
            seconds(30));
        if (suspected) row.first_suspect_ms.push_back(to_millis(net.now() - killed));
        if (net.run_until([&] { return net.all_see(victim, MemberState::kDead); }, seconds(30))) {
          row.all_dead_ms.push_back(to_millis(net.now() - killed));
        } else {
          ++row.undetected;
        }
        net.run_for(seconds(10));
        row.false_deaths += dead_events(net, SimNetwork::name_of(victim));
      }
      // A stall shorter than the suspicion timeout.
      {
        SimNetwork net(sim_config(members, seed + 7777, 0.0));
        net.join_all();
        net.run_until([&] { return net.converged(); }, seconds(60));
        net.run_for(seconds(5));
        const std::size_t victim = 1 + static_cast<std::size_t>(run) % (members - 1);
        net.pause(victim);
        net.run_for(milliseconds(stall_ms));
        net.resume(victim);
        net.run_for(seconds(10));
        for (const auto& e : net.events()) {
          if (e.event.kind == MemberEvent::Kind::kStateChanged &&
              e.event.new_state == MemberState::kDead) {
            if (e.event.member.name == SimNetwork::name_of(victim)) {
              ++row.stalled_declared_dead;
              break;
            }
          }
        }
        row.false_deaths += dead_events(net, SimNetwork::name_of(victim));
      }
    }
    rows.push_back(row);
  }
  std::printf("gossip_sim: %d runs per size, LAN latency 0.2-1.5 ms, %.1f%% loss in crash runs,\n"
              "probe 200ms/100ms, indirect 3, suspicion mult 4 (max x3), stall %d ms\n\n",
              runs, loss * 100, stall_ms);
  std::printf("%-8s %-14s %-14s %-14s %-14s %-11s %-12s %-12s\n", "members", "suspect p50",
              "dead p50", "dead p99", "dead max", "undetected", "stall->dead", "false dead");
  for (const auto& r : rows) {
    std::printf("%-8zu %-14.0f %-14.0f %-14.0f %-14.0f %-11d %-12d %-12d\n", r.members,
                percentile(r.first_suspect_ms, 0.5), percentile(r.all_dead_ms, 0.5),
                percentile(r.all_dead_ms, 0.99), percentile(r.all_dead_ms, 1.0), r.undetected,
                r.stalled_declared_dead, r.false_deaths);
  }
  std::printf("\n(times in ms from the kill; 'dead' = every live member sees it dead)\n");
  return 0;
}
