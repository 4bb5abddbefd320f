#include "node/cli/failover_test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "consensus/history/history.h"
#include "consensus/history/linearizability.h"
#include "node/cli/cluster_layout.h"
#include "node/cli/table.h"
#include "node/cli/tool_commands.h"
#include "node/http/base64.h"

namespace synod::node::cli {
namespace {

namespace hist = consensus::history;
using Clock = std::chrono::steady_clock;

// Keys of this run: unique per run, so leftovers of an earlier run on the same
// cluster cannot look like lost or invented writes (the model starts empty).
std::string g_key_prefix = "failover/k";

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Runs this binary with `args` and waits; returns its exit code.
int run_self(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // keep our stdout for our own report
    std::vector<char*> argv;
    static std::string self = "synod";
    argv.push_back(self.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Write acknowledgements with their times, for the unavailability windows.
class AckLog {
 public:
  void add(Clock::time_point invoked, Clock::time_point acked) {
    std::lock_guard lock(mutex_);
    acks_.push_back(acked);
    invoked_.push_back(invoked);
  }
  // (last ack at or before t, first ack of a write invoked after t); nullopt
  // where none. A write already in flight at t says nothing about recovery.
  std::pair<std::optional<Clock::time_point>, std::optional<Clock::time_point>> around(
      Clock::time_point t) const {
    std::lock_guard lock(mutex_);
    std::optional<Clock::time_point> before, after;
    for (std::size_t i = 0; i < acks_.size(); ++i) {
      const auto a = acks_[i];
      if (a <= t && (!before || a > *before)) before = a;
      if (invoked_[i] > t && (!after || a < *after)) after = a;
    }
    return {before, after};
  }
  std::size_t count_between(Clock::time_point a, Clock::time_point b) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(acks_.begin(), acks_.end(), [&](auto t) { return t >= a && t < b; }));
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Clock::time_point> acks_;     // guarded by mutex_
  std::vector<Clock::time_point> invoked_;  // guarded by mutex_, parallel to acks_
};

enum class Outcome { kOk, kFailed, kUnknown };

// A refused connection or a 4xx proves the request had no effect; anything
// else after sending (timeout, reset, 5xx) leaves the outcome unknown.
Outcome classify(const Result<HttpReply>& reply) {
  if (!reply.is_ok()) {
    const auto& m = reply.status().message();
    if (m.rfind("connect ", 0) == 0 || m.rfind("resolve ", 0) == 0) return Outcome::kFailed;
    return Outcome::kUnknown;
  }
  if (reply->status >= 200 && reply->status < 300) return Outcome::kOk;
  if (reply->status >= 400 && reply->status < 500 && reply->status != 408) return Outcome::kFailed;
  return Outcome::kUnknown;
}

struct LoadStats {
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> unknown{0};
};

// One client: a loop of put / get / cas on random keys through random nodes.
void client_loop(int client, const ClusterLayout& layout, const FailoverTestOptions& opts,
                 hist::HistoryRecorder& history, AckLog& acks, LoadStats& stats,
                 const std::atomic<bool>& stop) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(client) * 7919 + 17);
  const auto timeout = std::chrono::milliseconds(opts.op_timeout_ms);
  std::uint64_t seq = 0;
  const auto c = static_cast<std::uint64_t>(client);
  auto note = [&](Outcome o) {
    (o == Outcome::kOk ? stats.ok : o == Outcome::kFailed ? stats.failed : stats.unknown)++;
    if (o != Outcome::kOk) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  while (!stop) {
    const auto& node = layout.nodes[rng() % layout.nodes.size()];
    const std::string key =
        g_key_prefix + std::to_string(rng() % static_cast<std::uint64_t>(opts.keys));
    const std::string path = "/v1/kv/" + key;
    const int dice = static_cast<int>(rng() % 10);
    if (dice < 4) {  // put
      const std::string value = "c" + std::to_string(client) + "-" + std::to_string(++seq);
      auto id = history.invoke_put(c, key, value);
      const auto invoked = Clock::now();
      auto reply = http_call("PUT", node.http, path, value, timeout);
      Outcome o = classify(reply);
      if (o == Outcome::kOk && reply->body.find("true") == std::string::npos) o = Outcome::kUnknown;
      if (o == Outcome::kOk) {
        history.complete_ok(id);
        acks.add(invoked, Clock::now());
      } else if (o == Outcome::kFailed) {
        history.complete_failed(id);
      } else {
        history.complete_unknown(id);
      }
      note(o);
    } else if (dice < 8) {  // get
      auto id = history.invoke_get(c, key);
      auto reply = http_call("GET", node.http, path + "?raw", "", timeout);
      Outcome o = classify(reply);
      if (!reply.is_ok() || (reply->status != 404 && o != Outcome::kOk)) {
        o == Outcome::kFailed ? history.complete_failed(id) : history.complete_unknown(id);
        note(o);
        continue;
      }
      history.complete_get(
          id, reply->status == 404 ? std::nullopt : std::optional<std::string>(reply->body));
      note(Outcome::kOk);
    } else {  // read (value, ModifyIndex), then cas on that index
      auto read_id = history.invoke_get(c, key);
      auto reply = http_call("GET", node.http, path, "", timeout);
      std::optional<std::string> current;
      std::uint64_t index = 0;
      if (reply.is_ok() && reply->status == 200) {
        auto json = nlohmann::json::parse(reply->body, nullptr, false);
        if (!json.is_array() || json.empty()) {
          history.complete_unknown(read_id);
          note(Outcome::kUnknown);
          continue;
        }
        index = json[0].value("ModifyIndex", 0ull);
        auto decoded = node::http::base64_decode(
            json[0]["Value"].is_string() ? json[0]["Value"].get<std::string>() : "");
        current = decoded.is_ok() ? *decoded : "";
      } else if (!reply.is_ok() || reply->status != 404) {
        classify(reply) == Outcome::kFailed ? history.complete_failed(read_id)
                                            : history.complete_unknown(read_id);
        note(classify(reply));
        continue;
      }
      history.complete_get(read_id, current);
      // Values are unique, so "ModifyIndex unchanged" is "value unchanged".
      const std::string value = "c" + std::to_string(client) + "-" + std::to_string(++seq);
      auto id = history.invoke_cas(c, key, current, value);
      const auto invoked = Clock::now();
      auto put =
          http_call("PUT", node.http, path + "?cas=" + std::to_string(index), value, timeout);
      Outcome o = classify(put);
      if (o == Outcome::kOk) {
        const bool applied = put->body.find("true") != std::string::npos;
        history.complete_cas(id, applied);
        if (applied) acks.add(invoked, Clock::now());
      } else if (o == Outcome::kFailed) {
        history.complete_failed(id);
      } else {
        history.complete_unknown(id);
      }
      note(o);
    }
  }
}

// The leader as the reachable nodes (other than `exclude`) report it.
const ClusterNode* find_leader(const ClusterLayout& layout, const std::string& exclude = "") {
  for (const auto& node : layout.nodes) {
    if (node.name == exclude) continue;
    auto reply =
        http_call("GET", node.http, "/v1/status/leader", "", std::chrono::milliseconds(500));
    if (!reply.is_ok() || reply->status != 200) continue;
    auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_string()) continue;
    const auto address = json.get<std::string>();
    for (const auto& candidate : layout.nodes) {
      if (!address.empty() && candidate.peer == address && candidate.name != exclude) {
        return &candidate;
      }
    }
  }
  return nullptr;
}

// Polls until a leader other than `old_leader` is reported by another node.
const ClusterNode* wait_new_leader(const ClusterLayout& layout, const std::string& old_leader,
                                   Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    if (const auto* leader = find_leader(layout, old_leader)) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling other processes
  }
  return nullptr;
}

// Every node answers and names the same leader.
bool wait_stable(const ClusterLayout& layout, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    std::string agreed;
    bool ok = true;
    for (const auto& node : layout.nodes) {
      auto reply =
          http_call("GET", node.http, "/v1/status/leader", "", std::chrono::milliseconds(500));
      if (!reply.is_ok() || reply->status != 200 || reply->body.size() < 4) {
        ok = false;
        break;
      }
      if (!agreed.empty() && agreed != reply->body) ok = false;
      agreed = reply->body;
    }
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling other processes
  }
  return false;
}

Status set_partition(const ClusterLayout& layout, const ClusterNode& isolated, bool on) {
  for (const auto& node : layout.nodes) {
    if (!on) {
      auto reply = api_call("DELETE", node.http, "/v1/synod/fault", "", std::chrono::seconds(2));
      if (!reply.is_ok()) return reply.status();
      continue;
    }
    std::vector<std::uint64_t> peers;
    if (node.name == isolated.name) {
      for (const auto& other : layout.nodes) {
        if (other.name != isolated.name) peers.push_back(other.id);
      }
    } else {
      peers.push_back(isolated.id);
    }
    for (auto peer : peers) {
      nlohmann::json body = {{"peer", peer}, {"drop_in", 1.0}, {"drop_out", 1.0}};
      auto reply =
          api_call("PUT", node.http, "/v1/synod/fault", body.dump(), std::chrono::seconds(2));
      if (!reply.is_ok()) return reply.status();
    }
  }
  return Status::ok();
}

struct Round {
  int number = 0;
  std::string fault;
  std::string old_leader;
  std::string new_leader;
  double election_ms = -1;
  double unavailable_ms = -1;
  std::size_t writes_acked = 0;
  std::string error;
};

std::string fixed(double v) {
  if (v < 0) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f", v);
  return buffer;
}

Round run_round(int number, const std::string& fault, const ClusterLayout& layout,
                const FailoverTestOptions& opts, const AckLog& acks) {
  Round round;
  round.number = number;
  round.fault = fault;
  const auto stable_deadline = Clock::now() + std::chrono::milliseconds(opts.election_timeout_ms);
  if (!wait_stable(layout, stable_deadline)) {
    round.error = "the cluster did not agree on a leader before the fault";
    return round;
  }
  const ClusterNode* leader = find_leader(layout);
  if (leader == nullptr) {
    round.error = "no leader before the fault";
    return round;
  }
  round.old_leader = leader->name;
  const pid_t pid = read_pid(layout.dir, leader->name);
  if ((fault == "kill" || fault == "pause") && (pid <= 0 || !process_alive(pid))) {
    round.error = "no live process for " + leader->name;
    return round;
  }
  const auto round_start = Clock::now();
  const auto t_fault = Clock::now();
  if (fault == "kill") {
    ::kill(pid, SIGKILL);
    while (process_alive(pid)) {
      reap_children();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    remove_pid(layout.dir, leader->name);
  } else if (fault == "pause") {
    ::kill(pid, SIGSTOP);
  } else {
    if (auto s = set_partition(layout, *leader, true); !s.is_ok()) {
      round.error =
          "fault injection: " + s.message() + " (launch with --set debug.fault_injection=true)";
      (void)set_partition(layout, *leader, false);
      return round;
    }
  }
  const auto deadline = t_fault + std::chrono::milliseconds(opts.election_timeout_ms);
  if (const auto* next = wait_new_leader(layout, leader->name, deadline)) {
    round.new_leader = next->name;
    round.election_ms = ms_between(t_fault, Clock::now());
  } else {
    round.error = "no new leader within " + std::to_string(opts.election_timeout_ms) + " ms";
  }
  // Keep the fault for its duration, then heal.
  const auto heal_at = t_fault + std::chrono::milliseconds(opts.fault_ms);
  if (Clock::now() < heal_at) std::this_thread::sleep_until(heal_at);
  if (fault == "kill") {
    auto started = start_agent(layout.dir, *leader, layout.extra);
    if (!started.is_ok() && round.error.empty())
      round.error = "restart: " + started.status().message();
  } else if (fault == "pause") {
    ::kill(pid, SIGCONT);
  } else {
    if (auto s = set_partition(layout, *leader, false); !s.is_ok() && round.error.empty()) {
      round.error = "heal: " + s.message();
    }
  }
  // Let the cluster converge and the load run for a while.
  if (!wait_stable(layout, Clock::now() + std::chrono::milliseconds(opts.election_timeout_ms)) &&
      round.error.empty()) {
    round.error = "the cluster did not converge after healing";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(opts.settle_ms));
  auto [before, after] = acks.around(t_fault);
  if (before && after) round.unavailable_ms = ms_between(*before, *after);
  round.writes_acked = acks.count_between(round_start, Clock::now());
  return round;
}

// Every key's final value must come from a write that no acknowledged write
// strictly followed (in real time); a key with an acknowledged write must exist.
std::vector<std::string> check_final_values(
    const std::vector<hist::Operation>& ops,
    const std::map<std::string, std::optional<std::string>>& finals) {
  std::vector<std::string> problems;
  for (const auto& [key, value] : finals) {
    const hist::Operation* source = nullptr;
    bool any_acked = false;
    for (const auto& op : ops) {
      if (op.key != key || !op.value) continue;
      const bool acked =
          op.status == hist::OpStatus::kOk &&
          (op.kind == hist::OpKind::kPut || (op.kind == hist::OpKind::kCas && op.cas_applied));
      any_acked |= acked;
      if (value && op.value == value) source = &op;
    }
    if (!value) {
      if (any_acked) problems.push_back(key + ": acknowledged writes exist but the key is missing");
      continue;
    }
    if (source == nullptr) {
      problems.push_back(key + ": final value \"" + *value + "\" was never written");
      continue;
    }
    for (const auto& op : ops) {
      const bool acked =
          op.key == key && op.value && op.status == hist::OpStatus::kOk &&
          (op.kind == hist::OpKind::kPut || (op.kind == hist::OpKind::kCas && op.cas_applied));
      if (acked && source->status == hist::OpStatus::kOk && op.invoked_at > source->completed_at) {
        problems.push_back(key + ": acknowledged write \"" + *op.value +
                           "\" is lost (final value \"" + *value + "\" was written before it)");
        break;
      }
    }
  }
  return problems;
}

}  // namespace

int run_failover_test(const FailoverTestOptions& opts, const std::string& output) {
  const std::vector<std::string> kFaults = {"kill", "pause", "partition"};
  if (opts.launch > 0) {
    std::vector<std::string> args = {
        "cluster",   "up",         "-n",          std::to_string(opts.launch),
        "--dir",     opts.dir,     "--base-port", std::to_string(opts.base_port),
        "--backend", opts.backend, "--set",       "debug.fault_injection=true",
        "-o",        "json"};
    std::cerr << "launching " << opts.launch << " nodes in " << opts.dir << "\n";
    if (run_self(args) != 0) {
      std::cerr << "error: `synod cluster up` failed; see " << opts.dir << "/<node>/agent.log\n";
      run_self({"cluster", "down", "--dir", opts.dir});
      return kExitError;
    }
  }
  auto layout = read_layout(opts.dir);
  if (!layout.is_ok()) {
    std::cerr << "error: " << layout.status().message() << "\n";
    return kExitError;
  }
  g_key_prefix = "failover/" +
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()) +
                 "/k";
  hist::HistoryRecorder history;
  AckLog acks;
  LoadStats stats;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < opts.clients; ++c) {
    clients.emplace_back(client_loop, c + 1, std::cref(*layout), std::cref(opts), std::ref(history),
                         std::ref(acks), std::ref(stats), std::cref(stop));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(opts.settle_ms));
  std::vector<Round> rounds;
  for (int r = 1; r <= opts.rounds; ++r) {
    const std::string fault = opts.fault == "mixed"
                                  ? kFaults[static_cast<std::size_t>(r - 1) % kFaults.size()]
                                  : opts.fault;
    rounds.push_back(run_round(r, fault, *layout, opts, acks));
    const auto& rd = rounds.back();
    std::cerr << "round " << r << " (" << fault << " " << rd.old_leader << "): new leader "
              << (rd.new_leader.empty() ? "-" : rd.new_leader) << " after " << fixed(rd.election_ms)
              << " ms, writes unavailable " << fixed(rd.unavailable_ms) << " ms"
              << (rd.error.empty() ? "" : "; " + rd.error) << "\n";
  }
  stop = true;
  for (auto& t : clients) t.join();

  // Final reads (linearizable, through whichever node answers) join the history.
  std::vector<std::string> problems;
  for (const auto& rd : rounds) {
    if (!rd.error.empty())
      problems.push_back("round " + std::to_string(rd.number) + ": " + rd.error);
  }
  wait_stable(*layout, Clock::now() + std::chrono::milliseconds(opts.election_timeout_ms));
  std::map<std::string, std::optional<std::string>> finals;
  for (int k = 0; k < opts.keys; ++k) {
    const std::string key = g_key_prefix + std::to_string(k);
    bool done = false;
    for (int attempt = 0; attempt < 20 && !done; ++attempt) {
      const auto& node = layout->nodes[static_cast<std::size_t>(attempt) % layout->nodes.size()];
      auto id = history.invoke_get(0, key);
      auto reply =
          http_call("GET", node.http, "/v1/kv/" + key + "?raw", "", std::chrono::seconds(3));
      if (reply.is_ok() && (reply->status == 200 || reply->status == 404)) {
        std::optional<std::string> value;
        if (reply->status == 200) value = reply->body;
        history.complete_get(id, value);
        finals[key] = value;
        done = true;
      } else {
        history.complete_unknown(id);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    if (!done) problems.push_back(key + ": no node answered the final read");
  }
  const auto ops = history.operations();
  for (auto& p : check_final_values(ops, finals)) problems.push_back(p);
  const auto check = hist::check_linearizable(ops);
  if (check.verdict != hist::Verdict::kLinearizable) {
    problems.push_back(std::string("history ") + hist::verdict_name(check.verdict) +
                       (check.key.empty() ? "" : " on key " + check.key));
  }

  if (output == "json") {
    nlohmann::json jr = nlohmann::json::array();
    for (const auto& rd : rounds) {
      jr.push_back({{"round", rd.number},
                    {"fault", rd.fault},
                    {"old_leader", rd.old_leader},
                    {"new_leader", rd.new_leader},
                    {"election_ms", rd.election_ms},
                    {"unavailable_ms", rd.unavailable_ms},
                    {"writes_acked", rd.writes_acked},
                    {"error", rd.error}});
    }
    std::cout << nlohmann::json{{"rounds", jr},
                                {"operations", ops.size()},
                                {"ok", stats.ok.load()},
                                {"failed", stats.failed.load()},
                                {"unknown", stats.unknown.load()},
                                {"linearizability", hist::verdict_name(check.verdict)},
                                {"problems", problems},
                                {"passed", problems.empty()}}
                     .dump(2)
              << "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& rd : rounds) {
      rows.push_back({std::to_string(rd.number), rd.fault, rd.old_leader,
                      rd.new_leader.empty() ? "-" : rd.new_leader, fixed(rd.election_ms),
                      fixed(rd.unavailable_ms), std::to_string(rd.writes_acked),
                      rd.error.empty() ? "ok" : rd.error});
    }
    print_table(std::cout,
                {"ROUND", "FAULT", "OLD LEADER", "NEW LEADER", "ELECTION MS", "UNAVAILABLE MS",
                 "WRITES", "STATUS"},
                rows);
    std::vector<double> windows;
    for (const auto& rd : rounds) {
      if (rd.unavailable_ms >= 0) windows.push_back(rd.unavailable_ms);
    }
    std::sort(windows.begin(), windows.end());
    std::cout << "\noperations " << ops.size() << " (ok " << stats.ok << ", failed " << stats.failed
              << ", unknown " << stats.unknown << "); median unavailability "
              << (windows.empty() ? "-" : fixed(windows[windows.size() / 2])) << " ms\n"
              << "linearizability: " << hist::verdict_name(check.verdict) << "\n";
    if (!check.explanation.empty() && check.verdict != hist::Verdict::kLinearizable) {
      std::cout << check.explanation << "\n";
    }
    for (const auto& p : problems) std::cout << "FAIL: " << p << "\n";
    std::cout << (problems.empty() ? "PASS" : "FAIL") << "\n";
  }
  if (opts.launch > 0 && !opts.keep) run_self({"cluster", "down", "--dir", opts.dir});
  return problems.empty() ? kExitOk : kExitError;
}

void register_failover_test_command(CLI::App& app, GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<FailoverTestOptions>();
  auto* cmd = app.add_subcommand("failover-test",
                                 "Disrupt the leader repeatedly under load; check no acknowledged "
                                 "write is lost and the history is linearizable");
  cmd->add_option("--dir", opts->dir, "Cluster directory (from `synod cluster up`)")
      ->capture_default_str();
  cmd->add_option("--launch", opts->launch,
                  "Launch an N-node cluster in --dir first (0: use a running one)");
  cmd->add_option("--base-port", opts->base_port, "First port with --launch")
      ->capture_default_str();
  cmd->add_option("--backend", opts->backend, "Backend with --launch")->capture_default_str();
  cmd->add_option("--rounds", opts->rounds, "Faults to inject")->capture_default_str();
  cmd->add_option("--fault", opts->fault, "kill, pause, partition or mixed")
      ->check(CLI::IsMember({"kill", "pause", "partition", "mixed"}))
      ->capture_default_str();
  cmd->add_option("--clients", opts->clients, "Client threads")->capture_default_str();
  cmd->add_option("--keys", opts->keys, "Keys the clients share")->capture_default_str();
  cmd->add_option("--fault-ms", opts->fault_ms, "How long a fault lasts before healing")
      ->capture_default_str();
  cmd->add_option("--settle-ms", opts->settle_ms, "Quiet load between rounds")
      ->capture_default_str();
  cmd->add_option("--op-timeout-ms", opts->op_timeout_ms, "Client request timeout")
      ->capture_default_str();
  cmd->add_option("--election-timeout-ms", opts->election_timeout_ms,
                  "Give up waiting for a new leader after this long")
      ->capture_default_str();
  cmd->add_flag("--keep", opts->keep, "Leave a launched cluster running");
  cmd->callback([&action, &global, opts] {
    action = [&global, opts] { return run_failover_test(*opts, global.output); };
  });
}

}  // namespace synod::node::cli
