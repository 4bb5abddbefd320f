// Node: one synod process. It owns the event loop (one io_context thread
// runs the Raft core, timers, peer transport and HTTP API), the storage
// backend and its thread, and wires them together.
//
// Life cycle: construct with a validated config -> start() opens storage,
// recovers state and binds listeners -> run() drives the loop until
// SIGINT/SIGTERM (a leader hands over leadership first) or stop().
#pragma once

#include <memory>
#include <string>

#include "common/asio.h"
#include "common/random.h"
#include "common/status.h"
#include "config/node_config.h"
#include "discovery/member.h"
#include "node/http/cluster_info.h"
#include "node/http/router.h"
#include "node/http/server.h"
#include "node/http/watch_hub.h"
#include "persistence/backend.h"

namespace synod::crypto {
class KeyringStore;
}  // namespace synod::crypto

namespace synod::node {

namespace transport {
class PeerTransport;
class KeyringPort;
class ClusterKeyring;
}  // namespace transport
namespace inference {
class InferenceService;
}
class RaftNode;
class DiscoveryService;
class KvService;
class DictionaryService;
namespace registry {
class RaftPort;
class RegistryService;
}  // namespace registry

class Node final : public http::ClusterInfo {
 public:
  explicit Node(config::NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Opens storage (corruption is returned: the caller must exit), recovers,
  // and binds the peer and HTTP listeners.
  Status start();
  // Runs the event loop on the calling thread until stopped.
  void run();
  // Graceful stop; safe from any thread.
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
  void register_fault_routes();
  // Consul's serfHealth check follows the failure detector: alive or suspect
  // is passing, dead or left critical (proposed by the leader on change).
  void report_member_health(const synod::discovery::Member& member);
  void reconcile_member_health();
  void shutdown_now();

  config::NodeConfig config_;
  asio::io_context io_;
  asio::signal_set signals_;
  SystemRandom random_;
  std::unique_ptr<persistence::StorageBackend> backend_;
  std::shared_ptr<transport::PeerTransport> transport_;
  std::shared_ptr<crypto::KeyringStore> crypto_keyring_;  // null when crypto.enabled is false
  std::unique_ptr<RaftNode> raft_;
  std::unique_ptr<DiscoveryService> discovery_;  // gossip membership (docs/discovery.md)
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<inference::InferenceService> inference_;
  std::unique_ptr<http::WatchHub> hub_;
  std::unique_ptr<registry::RaftPort> registry_port_;
  std::unique_ptr<registry::RegistryService> registry_;
  std::unique_ptr<DictionaryService> dictionary_;  // shared zstd dictionary (docs/compression.md)
  std::unique_ptr<transport::KeyringPort> keyring_port_;
  std::unique_ptr<transport::ClusterKeyring> cluster_keyring_;  // replicated keyring (docs/crypto.md)
  http::Router router_;
  std::unique_ptr<http::HttpServer> http_;
  asio::steady_timer health_timer_{io_};
  bool stopping_ = false;
};

}  // namespace synod::node
