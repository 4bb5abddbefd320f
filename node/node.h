// Node: one synod process. It owns the event loop (one io_context thread),
// and wires configuration, logging, the HTTP API and (as the runtime grows)
// the Raft core, storage thread and peer transport.
//
// Life cycle: construct with a validated config -> start() binds listeners
// and recovers state -> run() drives the loop until SIGINT/SIGTERM or stop().
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/asio.h"
#include "common/status.h"
#include "config/node_config.h"
#include "node/http/cluster_info.h"
#include "node/http/router.h"
#include "node/http/server.h"

namespace synod::node {

class Node final : public http::ClusterInfo {
 public:
  explicit Node(config::NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds the HTTP listener. Errors name the address and the OS reason.
  Status start();
  // Runs the event loop on the calling thread until a stop signal.
  void run();
  // Asks the loop to stop; safe from any thread.
  void stop();

  // http::ClusterInfo (called on the loop thread).
  [[nodiscard]] std::string leader_address() const override;
  [[nodiscard]] std::vector<std::string> peers() const override;
  [[nodiscard]] http::RaftConfiguration raft_configuration() const override;
  [[nodiscard]] http::LeaderView leader_view() const override;
  [[nodiscard]] http::AgentInfo agent_info() const override;
  [[nodiscard]] http::HealthReport health() const override;
  void remove_peer(const std::string& id, std::function<void(Status)> done) override;
  void transfer_leader(const std::optional<std::string>& id,
                       std::function<void(Status)> done) override;

 private:
  config::NodeConfig config_;
  asio::io_context io_;
  asio::signal_set signals_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace synod::node
