// RegistryService: the service registry, health checks and sessions of one
// node (issue 6) over the replicated state machine, as KvService is for KV.
//
//  - Writes become registry commands proposed through the ConsensusPort
//    (forwarded to the leader from a follower). Reads run on the loop thread
//    against the local StateStore: ?stale at once, the default and
//    ?consistent after a read barrier.
//  - on_applied() (called by the node after every applied batch) wakes the
//    WatchHub watchers of exactly the registry resources whose index moved
//    (registry_resources.h), reconciles the check runner with the checks this
//    node owns, and keeps the leader's session timers in step.
//  - Session TTLs run on the leader only: a session is invalidated when no
//    renew came for 2 x TTL (Consul's SessionTTLMultiplier grace). When this
//    node becomes leader, every TTL timer starts again at full length, so
//    failover never makes a session expire early.
//  - Each node registers itself in the catalog with a "serfHealth" node
//    check; set_node_health() (peer connectivity now, the gossip failure
//    detector later) proposes its status changes.
//
// Threading: loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/asio.h"
#include "common/random.h"
#include "common/status.h"
#include "consensus/state/apply_result.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/state_store.h"
#include "loadbalance/strategy.h"
#include "node/http/cluster_info.h"
#include "node/http/query.h"
#include "node/http/watch_hub.h"
#include "node/registry/check_runner.h"
#include "node/registry/registry_json.h"

namespace synod::node::registry {

using ApplyCallback = std::function<void(Result<consensus::state::ApplyResult>)>;

// What the registry needs from consensus; RaftNode in the node
// (raft_port.h), a local StateStore in tests.
class ConsensusPort {
 public:
  virtual ~ConsensusPort() = default;
  virtual void propose(proto::Command command, ApplyCallback done) = 0;
  virtual void read_barrier(std::function<void(Status)> done) = 0;
  [[nodiscard]] virtual const consensus::state::StateStore& state() const = 0;
  [[nodiscard]] virtual bool is_leader() const = 0;
  [[nodiscard]] virtual std::uint64_t term() const = 0;
  [[nodiscard]] virtual http::LeaderView leader_view() const = 0;
};

struct RegistryOptions {
  AgentNode agent;
  bool enable_script = false;
  std::string default_strategy = "p2c_ewma";
  std::map<std::string, std::string> strategies;  // service -> strategy
  std::chrono::milliseconds leader_poll{200};     // leadership / self-registration check
  double session_ttl_multiplier = 2;              // Consul's grace (tests shrink it)
};

// The instance /v1/synod/select picked.
struct Selection {
  std::string node;
  std::string service_id;
  std::string address;
  std::uint32_t port = 0;
  std::string strategy;
  std::size_t healthy = 0;  // instances it chose among
};

class RegistryService {
 public:
  RegistryService(asio::io_context& io, ConsensusPort& port, http::WatchHub& hub,
                  RegistryOptions options);
  ~RegistryService();
  RegistryService(const RegistryService&) = delete;
  RegistryService& operator=(const RegistryService&) = delete;

  // Starts the leadership watch (session timers, self-registration) and the
  // checks this node owns.
  void start();
  void stop();

  // After every applied batch, with the batch's last index.
  void on_applied(const consensus::state::ChangeSet& changes, std::uint64_t index);

  // ---- reads ----
  void read(http::Consistency consistency, std::function<void(Status)> done);
  [[nodiscard]] const consensus::state::StateStore& state() const { return port_.state(); }
  [[nodiscard]] http::LeaderView leader_view() const { return port_.leader_view(); }
  [[nodiscard]] const AgentNode& agent() const { return options_.agent; }

  // ---- writes ----
  // Proposes a command; the ApplyResult's status is the command's verdict.
  void write(proto::Command command, ApplyCallback done);
  // Registers with the runner too, so an invalid script check is refused
  // before it is replicated.
  Status validate_runnable(const proto::HealthCheck& check) const;
  // TTL check update from /v1/agent/check/pass|warn|fail|update.
  Status update_ttl(const std::string& check_id, const std::string& status,
                    const std::string& output);
  // Restarts the session's TTL at the leader (through the log, so a renew at
  // a follower reaches the leader). Result: false if the session is unknown.
  void renew_session(const std::string& id, std::function<void(Result<bool>)> done);
  // A fresh session id (UUID v4 text).
  std::string new_session_id();
  // The failure detector's view of a node: proposes its serfHealth status
  // when it differs from the catalog's (leader only; others ignore).
  void set_node_health(const std::string& node, bool alive, const std::string& output);

  // /v1/synod/select: a passing instance of `service` picked by `strategy`
  // ("" = the configured one). NotFound when none is healthy.
  Result<Selection> select(const std::string& service, const std::string& strategy,
                           const std::optional<std::string>& key);

  // Rendered answers valid at the current applied index, keyed by request
  // target (without ?index/&wait): when a write wakes thousands of watchers
  // of one query, the first renders and the rest reuse it. Cleared by the
  // next applied change.
  struct CachedRead {
    std::string body;
    std::uint64_t index = 0;
  };
  [[nodiscard]] const CachedRead* cached_read(const std::string& key) const;
  void cache_read(const std::string& key, CachedRead value);

  // Sessions whose TTL timer runs here (leader), for tests and metrics.
  [[nodiscard]] std::size_t session_timers() const { return session_timers_.size(); }
  [[nodiscard]] CheckRunner& runner() { return runner_; }

 private:
  void poll_leadership();
  void arm_session(const proto::Session& session);
  void reconcile_check(const std::string& node, const std::string& check_id);
  void reconcile_all_checks();
  void ensure_self_registered();

  asio::io_context& io_;
  ConsensusPort& port_;
  http::WatchHub& hub_;
  RegistryOptions options_;
  CheckRunner runner_;
  SystemRandom random_;
  asio::steady_timer poll_timer_;
  bool was_leader_ = false;
  std::uint64_t leader_term_ = 0;
  bool self_registration_in_flight_ = false;
  bool stopped_ = false;
  std::map<std::string, std::unique_ptr<asio::steady_timer>> session_timers_;
  std::map<std::string, std::unique_ptr<loadbalance::Strategy>> strategies_;  // "svc\0strategy"
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t cache_applied_ = 0;
  std::map<std::string, CachedRead> read_cache_;
};

}  // namespace synod::node::registry
