// Simulated clients: each runs one operation at a time (put, get, cas or
// delete on a small set of keys) against a node of the Cluster and records
// invocation and outcome in a HistoryRecorder for the linearizability check.
//
// Writes are proposed through the log (tagged, see sim_kv.h); gets go either
// through ReadIndex (served by the node once its state machine caught up) or
// through the log. An operation whose outcome is not known within
// op_timeout is recorded as unknown; one that certainly did not happen (the
// node refused it, or another entry was committed at its index) as failed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/history/history.h"
#include "tests/sim/cluster.h"

namespace synod::consensus::sim {

struct ClientOptions {
  int clients = 3;
  int keys = 3;
  Micros max_think = 20 * kMillis;
  Micros op_timeout = 1 * kSecond;
  double get_ratio = 0.35;      // of which...
  double log_get_ratio = 0.25;  // ...this share goes through the log
  double cas_ratio = 0.25;
  double delete_ratio = 0.05;
};

struct ClientStats {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t unknown = 0;
};

class Clients {
 public:
  // Installs itself as the cluster's on_apply / on_read observer.
  Clients(Cluster& cluster, ClientOptions options, history::HistoryRecorder& history);
  void start();
  // No new operations after this; pending ones still complete or time out.
  void stop() { stopped_ = true; }
  [[nodiscard]] bool idle() const;
  [[nodiscard]] const ClientStats& stats() const { return stats_; }

 private:
  struct Pending {
    bool active = false;
    std::uint64_t history_id = 0;
    history::OpKind kind = history::OpKind::kGet;
    bool via_log = false;
    std::string key;
    NodeId node;
    std::uint64_t tag = 0;     // log operations
    LogIndex index;            // the index the leader gave it (0: forwarded)
    std::string read_context;  // ReadIndex gets
  };
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    NodeId leader_hint;
    Pending pending;
  };

  void next_op(std::size_t c);
  void issue(std::size_t c);
  NodeId pick_node(Client& client);
  void finish(std::size_t c, bool known);
  void on_apply(NodeId node, const Entry& entry, const std::string& result);
  void on_read(NodeId node, const std::string& context);

  Cluster& cluster_;
  ClientOptions options_;
  history::HistoryRecorder& history_;
  std::vector<Client> clients_;
  std::map<std::uint64_t, std::size_t> client_of_tag_;
  std::map<std::string, std::size_t> client_of_read_;
  std::map<std::string, std::optional<std::string>> last_seen_;  // per key, for cas
  std::uint64_t next_tag_ = 1;
  bool stopped_ = false;
  ClientStats stats_;
};

}  // namespace synod::consensus::sim
