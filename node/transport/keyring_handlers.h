// The node's side of the replicated cluster keyring (docs/crypto.md).
//
// The keyring lives in the replicated state (consensus/state/keyring_table.h);
// every node applies the same install/use/remove commands in log order, and
// this class keeps the node's local keyring (what its handshakes and gossip
// use: accept any installed key, initiate with the primary) and its
// <data_dir>/keyring.json (0600, so a restarted node can connect before it
// catches up) equal to the table.
//
// /v1/operator/keyring in Consul's shape: GET lists, POST installs, PUT
// makes primary, DELETE removes; bodies are {"Key": "<base64>"}. Writes go
// through Raft (forwarded to the leader from a follower) and answer once
// applied at the leader; a refused op (use of an unknown key, removing the
// primary) answers 400 with the reason, never the key.
//
// Migration: while the table is empty, the leader proposes its local keyring
// once (a seed, which is a no-op if the table was filled meanwhile), and a
// write through this API seeds first too, so clusters that ran with
// node-local keyrings keep every key they accepted.
//
// Threading: every method runs on the node's loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "node/http/router.h"
#include "consensus/state/commands_pb.h"

namespace synod::node::transport {

// The replicated keyring as the state machine holds it (raw 32-byte keys).
struct ReplicatedKeyring {
  std::vector<std::string> keys;  // install order
  std::string primary;            // "" when the table is empty
  std::uint64_t index = 0;        // X-Consul-Index of the keyring
};

// What the keyring needs from consensus (node/keyring_port.h implements it
// over the RaftNode).
class KeyringPort {
 public:
  // Applied: the op's result (true, or false for a seed that found the table
  // filled); an apply error (InvalidArgument, NotFound, FailedPrecondition)
  // or a consensus error (Unavailable, Timeout).
  using Done = std::function<void(Result<bool>)>;
  virtual ~KeyringPort() = default;
  // Proposes a keyring op (raw keys); `others` only with KEYRING_SEED.
  virtual void propose(proto::KeyringVerb verb, std::string key, std::vector<std::string> others,
                       Done done) = 0;
  [[nodiscard]] virtual ReplicatedKeyring table() const = 0;
  [[nodiscard]] virtual bool is_leader() const = 0;
  // Raft members (voters and learners): the NumNodes of a GET.
  [[nodiscard]] virtual std::size_t num_nodes() const = 0;
};

class ClusterKeyring {
 public:
  // `local` null: crypto.enabled is false; every HTTP call answers 400 and
  // nothing is seeded or synced.
  ClusterKeyring(asio::io_context& io, KeyringPort& port,
                 std::shared_ptr<crypto::KeyringStore> local, std::string datacenter);

  void register_routes(http::Router& router);
  // Starts the leader's seed check (once a second while the table is empty)
  // and syncs the local keyring with a recovered table.
  void start();
  void stop();
  // The table changed (an applied op or an installed snapshot): the local
  // keyring and keyring.json follow it. An empty table changes nothing.
  void on_table_changed();

 private:
  void handle(http::HttpRequest request, http::Responder respond);
  void write(proto::KeyringVerb verb, crypto::Key32 key, http::Responder respond);
  // Proposes this node's keyring as the seed; `done` gets the outcome.
  void seed(KeyringPort::Done done);
  void schedule_seed_check();

  asio::io_context& io_;
  KeyringPort& port_;
  std::shared_ptr<crypto::KeyringStore> local_;
  std::string datacenter_;
  asio::steady_timer timer_;
  bool seeding_ = false;
  bool stopped_ = false;
};

}  // namespace synod::node::transport
