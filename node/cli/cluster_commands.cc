// `synod cluster up|down|status|kill|pause|resume|restart`: launch and manage
// an N-node cluster of local agents for development and failover testing.
//
// Layout of DIR (written by `up`, read by the others):
//   DIR/cluster.json          the node list: name, http, peer, gossip addresses
//   DIR/<name>/node.yaml      the node's config
//   DIR/<name>/data/          its data dir
//   DIR/<name>/agent.log      its stdout+stderr
//   DIR/<name>/agent.pid      its pid while running
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "node/cli/cluster_layout.h"
#include "node/cli/commands.h"
#include "node/cli/http_client.h"
#include "node/cli/table.h"

namespace synod::node::cli {
namespace fs = std::filesystem;
namespace {

volatile sig_atomic_t g_stop_requested = 0;
void on_stop_signal(int) { g_stop_requested = 1; }

struct UpOptions {
  int nodes = 3;
  std::string dir = "./synod-cluster";
  std::string backend = "file";
  int base_port = 8500;
  std::string models;
  bool foreground = false;
  int timeout_seconds = 60;
  std::vector<std::string> extra;  // --set path=value for every node
};

struct NodeStatus {
  ClusterNode node;
  pid_t pid = 0;
  bool process_alive = false;
  bool reachable = false;
  std::string role = "-";
  std::string term = "-";
  std::string commit_index = "-";
  std::string leader;
  std::string error;
};

NodeStatus query_node(const ClusterNode& node, const std::string& dir) {
  NodeStatus s;
  s.node = node;
  s.pid = read_pid(dir, node.name);
  s.process_alive = s.pid > 0 && process_alive(s.pid);
  auto reply = http_call("GET", node.http, "/v1/agent/self", "", std::chrono::seconds(2));
  if (!reply.is_ok()) {
    s.error = reply.status().message();
    return s;
  }
  if (reply->status != 200) {
    s.error = "HTTP " + std::to_string(reply->status);
    return s;
  }
  s.reachable = true;
  auto json = nlohmann::json::parse(reply->body, nullptr, false);
  if (json.is_discarded()) return s;
  if (auto synod = json["Synod"]; synod.is_object()) {
    s.role = synod.value("Role", "-");
    s.term = std::to_string(synod.value("Term", 0ull));
    s.commit_index = std::to_string(synod.value("CommitIndex", 0ull));
    s.leader = synod.value("Leader", "");
  }
  return s;
}

std::vector<NodeStatus> query_all(const ClusterLayout& layout) {
  std::vector<NodeStatus> out;
  for (const auto& node : layout.nodes) out.push_back(query_node(node, layout.dir));
  return out;
}

void print_status(const std::vector<NodeStatus>& statuses, const std::string& output) {
  if (output == "json") {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& s : statuses) {
      nodes.push_back({{"name", s.node.name},
                       {"http", s.node.http},
                       {"peer", s.node.peer},
                       {"pid", s.pid},
                       {"alive", s.process_alive},
                       {"reachable", s.reachable},
                       {"role", s.reachable ? s.role : "unreachable"},
                       {"term", s.term},
                       {"commit_index", s.commit_index}});
    }
    std::cout << nlohmann::json{{"nodes", nodes}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : statuses) {
    std::string state = !s.process_alive ? "stopped" : (s.reachable ? "up" : "unreachable");
    rows.push_back({s.node.name, s.node.http, s.node.peer, std::to_string(s.pid), state, s.role,
                    s.term, s.commit_index});
  }
  print_table(std::cout, {"NODE", "HTTP", "PEER", "PID", "PROCESS", "ROLE", "TERM", "COMMIT"},
              rows);
}

// A cluster is ready when every node answers and (once Raft runs) all agree
// on one leader and report the same commit index.
bool cluster_ready(const std::vector<NodeStatus>& statuses) {
  std::string leader;
  std::string commit;
  for (const auto& s : statuses) {
    if (!s.reachable) return false;
    if (s.role == "agent") continue;  // foundation agents have no Raft yet
    if (s.leader.empty()) return false;
    if (!leader.empty() && leader != s.leader) return false;
    if (!commit.empty() && commit != s.commit_index) return false;
    leader = s.leader;
    commit = s.commit_index;
  }
  return true;
}

bool wait_until_ready(const ClusterLayout& layout, int timeout_seconds, bool show_progress) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int dots = 0;
  while (std::chrono::steady_clock::now() < deadline && !g_stop_requested) {
    auto statuses = query_all(layout);
    if (cluster_ready(statuses)) {
      if (show_progress && dots > 0) std::cerr << "\n";
      return true;
    }
    for (const auto& s : statuses) {
      if (s.pid > 0 && !s.process_alive) {
        std::cerr << "\nnode " << s.node.name << " exited; see " << layout.dir << "/"
                  << s.node.name << "/agent.log\n";
        return false;
      }
    }
    if (show_progress) {
      std::cerr << (dots == 0 ? "waiting for the cluster" : "") << "." << std::flush;
      ++dots;
    }
    // Polling another process's HTTP API: there is no event to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (show_progress) std::cerr << "\n";
  return false;
}

int stop_nodes(const ClusterLayout& layout, const std::vector<std::string>& names) {
  int stopped = 0;
  std::vector<std::pair<std::string, pid_t>> pending;
  for (const auto& node : layout.nodes) {
    if (!names.empty() && std::find(names.begin(), names.end(), node.name) == names.end()) continue;
    pid_t pid = read_pid(layout.dir, node.name);
    if (pid > 0 && process_alive(pid)) {
      ::kill(pid, SIGCONT);  // a paused node must run to handle SIGTERM
      ::kill(pid, SIGTERM);
      pending.emplace_back(node.name, pid);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (auto& [name, pid] : pending) {
    while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) {
      reap_children();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (process_alive(pid)) {
      std::cerr << name << " did not stop within 15s; sending SIGKILL\n";
      ::kill(pid, SIGKILL);
    }
    remove_pid(layout.dir, name);
    ++stopped;
  }
  reap_children();
  return stopped;
}

int cluster_up(const UpOptions& opts, const GlobalOptions& global) {
  if (opts.nodes < 1 || opts.nodes > 64) {
    std::cerr << "error: -n must be between 1 and 64\n";
    return kExitUsage;
  }
  auto layout = make_layout(opts.dir, opts.nodes, opts.base_port);
  auto written = write_layout(layout, opts.backend, opts.models, opts.extra);
  if (!written.is_ok()) {
    std::cerr << "error: " << written.message() << "\n";
    return kExitError;
  }
  for (const auto& node : layout.nodes) {
    pid_t existing = read_pid(layout.dir, node.name);
    if (existing > 0 && process_alive(existing)) {
      std::cerr << "error: " << node.name << " is already running (pid " << existing
                << "); run `synod cluster down --dir " << layout.dir << "` first\n";
      return kExitError;
    }
  }
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  for (const auto& node : layout.nodes) {
    auto started = start_agent(layout.dir, node);
    if (!started.is_ok()) {
      std::cerr << "error: " << started.status().message() << "\n";
      stop_nodes(layout, {});
      return kExitError;
    }
  }
  std::cerr << "started " << layout.nodes.size() << " agents in " << layout.dir << "\n";
  if (!wait_until_ready(layout, opts.timeout_seconds, true)) {
    std::cerr << "error: the cluster did not become ready within " << opts.timeout_seconds
              << "s; logs are in " << layout.dir << "/<node>/agent.log\n";
    if (opts.foreground || g_stop_requested) stop_nodes(layout, {});
    return kExitError;
  }
  print_status(query_all(layout), global.output);
  if (!opts.foreground) return kExitOk;

  std::cout << "\nThe cluster is running. HTTP APIs:\n";
  for (const auto& node : layout.nodes) std::cout << "  " << node.name << "  http://" << node.http << "\n";
  const std::string& first = layout.nodes.front().http;
  std::cout << "\nTry:\n"
            << "  curl -s http://" << first << "/v1/agent/self\n"
            << "  curl -s http://" << first << "/v1/status/leader\n"
            << "  curl -s -X PUT -d hello http://" << first << "/v1/kv/greeting\n"
            << "  curl -s http://" << layout.nodes.back().http << "/v1/kv/greeting?raw\n"
            << "  build/bin/synod cluster status --dir " << layout.dir << "\n";
  if (!opts.models.empty()) {
    // A prediction from the demo models (`synod models demo DIR` writes the
    // example request), answered by any node (docs/inference.md).
    std::cout << "  curl -s -X POST --data-binary @" << opts.models
              << "/mlp/example_request.json http://" << layout.nodes.back().http
              << "/v2/models/mlp/infer\n"
              << "  build/bin/synod models list --http-addr " << first << "\n";
  }
  std::cout << "\nPress Ctrl-C to stop all " << layout.nodes.size() << " nodes.\n"
            << std::flush;
  while (!g_stop_requested) {
    // Wake up periodically to notice a node that died on its own.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reap_children();
  }
  std::cerr << "\nstopping " << layout.nodes.size() << " nodes...\n";
  int n = stop_nodes(layout, {});
  std::cerr << "stopped " << n << " nodes\n";
  return kExitOk;
}

int signal_node(const std::string& dir, const std::string& name, int sig, const char* verb) {
  auto layout = read_layout(dir);
  if (!layout.is_ok()) {
    std::cerr << "error: " << layout.status().message() << "\n";
    return kExitError;
  }
  const ClusterNode* node = layout->find(name);
  if (node == nullptr) {
    std::cerr << "error: no node named \"" << name << "\" in " << dir << "\n";
    return kExitUsage;
  }
  pid_t pid = read_pid(dir, name);
  if (pid <= 0 || !process_alive(pid)) {
    std::cerr << "error: " << name << " is not running\n";
    return kExitError;
  }
  if (::kill(pid, sig) != 0) {
    std::cerr << "error: signal " << name << ": " << std::strerror(errno) << "\n";
    return kExitError;
  }
  if (sig == SIGKILL) {
    while (process_alive(pid)) {
      reap_children();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    remove_pid(dir, name);
  }
  std::cout << verb << " " << name << " (pid " << pid << ")\n";
  return kExitOk;
}

}  // namespace

void register_cluster_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* cluster = app.add_subcommand("cluster", "Launch and manage a local N-node cluster");
  cluster->require_subcommand(1);

  auto up_opts = std::make_shared<UpOptions>();
  auto* up = cluster->add_subcommand("up", "Write N node configs and start N agents");
  up->add_option("-n,--nodes", up_opts->nodes, "Number of nodes")->capture_default_str();
  up->add_option("--dir", up_opts->dir, "Cluster directory (configs, data, logs)")
      ->capture_default_str();
  up->add_option("--backend", up_opts->backend, "Persistence backend for every node")
      ->check(CLI::IsMember({"file", "sqlite", "memory", "postgres", "redis"}))
      ->capture_default_str();
  up->add_option("--base-port", up_opts->base_port,
                 "First port; node k uses base+10(k-1) for HTTP, +1 peer, +2 gossip")
      ->capture_default_str();
  up->add_option("--models", up_opts->models, "Model repository every node serves");
  up->add_option("--set", up_opts->extra, "Extra config override path=value for every node");
  up->add_option("--timeout", up_opts->timeout_seconds, "Seconds to wait for readiness")
      ->capture_default_str();
  up->add_flag("--foreground", up_opts->foreground,
               "Stay in the foreground; Ctrl-C stops every node");
  up->callback([&action, &global, up_opts] {
    action = [&global, up_opts] { return cluster_up(*up_opts, global); };
  });

  auto dir = std::make_shared<std::string>("./synod-cluster");
  auto* status = cluster->add_subcommand("status", "Show each node's process, role and index");
  status->add_option("--dir", *dir, "Cluster directory")->capture_default_str();
  status->callback([&action, &global, dir] {
    action = [&global, dir] {
      auto layout = read_layout(*dir);
      if (!layout.is_ok()) {
        std::cerr << "error: " << layout.status().message() << "\n";
        return kExitError;
      }
      print_status(query_all(*layout), global.output);
      return kExitOk;
    };
  });

  auto* down = cluster->add_subcommand("down", "Stop every node (SIGTERM, then SIGKILL after 15s)");
  down->add_option("--dir", *dir, "Cluster directory")->capture_default_str();
  down->callback([&action, dir] {
    action = [dir] {
      auto layout = read_layout(*dir);
      if (!layout.is_ok()) {
        std::cerr << "error: " << layout.status().message() << "\n";
        return kExitError;
      }
      std::cout << "stopped " << stop_nodes(*layout, {}) << " nodes\n";
      return kExitOk;
    };
  });

  struct SignalCommand {
    const char* name;
    const char* help;
    int signal;
    const char* verb;
  };
  static const SignalCommand kSignalCommands[] = {
      {"kill", "SIGKILL a node (crash it)", SIGKILL, "killed"},
      {"pause", "SIGSTOP a node (freeze it)", SIGSTOP, "paused"},
      {"resume", "SIGCONT a paused node", SIGCONT, "resumed"},
  };
  auto node_name = std::make_shared<std::string>();
  for (const auto& command : kSignalCommands) {
    auto* sub = cluster->add_subcommand(command.name, command.help);
    sub->add_option("NODE", *node_name, "Node name (e.g. node1)")->required();
    sub->add_option("--dir", *dir, "Cluster directory")->capture_default_str();
    sub->callback([&action, dir, node_name, &command] {
      action = [dir, node_name, &command] {
        return signal_node(*dir, *node_name, command.signal, command.verb);
      };
    });
  }

  auto backend = std::make_shared<std::string>("file");
  auto* add = cluster->add_subcommand(
      "add", "Start one more node that joins the running cluster (learner, then voter)");
  add->add_option("--dir", *dir, "Cluster directory")->capture_default_str();
  add->add_option("--backend", *backend, "Persistence backend of the new node")
      ->check(CLI::IsMember({"file", "sqlite", "memory", "postgres", "redis"}))
      ->capture_default_str();
  add->callback([&action, dir, backend] {
    action = [dir, backend] {
      auto layout = read_layout(*dir);
      if (!layout.is_ok()) {
        std::cerr << "error: " << layout.status().message() << "\n";
        return kExitError;
      }
      auto node = add_node(*layout, *backend);
      if (!node.is_ok()) {
        std::cerr << "error: " << node.status().message() << "\n";
        return kExitError;
      }
      auto started = start_agent(layout->dir, *node);
      if (!started.is_ok()) {
        std::cerr << "error: " << started.status().message() << "\n";
        return kExitError;
      }
      std::cout << "started " << node->name << " (pid " << *started << ", http " << node->http
                << "); it joins as a learner and becomes a voter once caught up\n";
      return kExitOk;
    };
  });

  auto* restart = cluster->add_subcommand("restart", "Stop a node if running, then start it");
  restart->add_option("NODE", *node_name, "Node name")->required();
  restart->add_option("--dir", *dir, "Cluster directory")->capture_default_str();
  restart->callback([&action, dir, node_name] {
    action = [dir, node_name] {
      auto layout = read_layout(*dir);
      if (!layout.is_ok()) {
        std::cerr << "error: " << layout.status().message() << "\n";
        return kExitError;
      }
      const ClusterNode* node = layout->find(*node_name);
      if (node == nullptr) {
        std::cerr << "error: no node named \"" << *node_name << "\"\n";
        return kExitUsage;
      }
      stop_nodes(*layout, {*node_name});
      auto started = start_agent(*dir, *node);
      if (!started.is_ok()) {
        std::cerr << "error: " << started.status().message() << "\n";
        return kExitError;
      }
      std::cout << "restarted " << *node_name << " (pid " << *started << ")\n";
      return kExitOk;
    };
  });
}

}  // namespace synod::node::cli
