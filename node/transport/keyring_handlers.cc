#include "node/transport/keyring_handlers.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace synod::node::transport {
namespace {

constexpr auto kSeedCheckInterval = std::chrono::seconds(1);

std::string_view verb_name(proto::KeyringVerb verb) {
  switch (verb) {
    case proto::KEYRING_INSTALL:
      return "install";
    case proto::KEYRING_USE:
      return "use";
    case proto::KEYRING_REMOVE:
      return "remove";
    case proto::KEYRING_SEED:
      return "seed";
    default:
      return "unknown";
  }
}

std::string raw(const crypto::Key32& key) { return std::string(key.view()); }

// The table as a crypto::Keyring (primary first installed, then made
// primary, so the order of keys() is the table's).
Result<crypto::Keyring> to_keyring(const ReplicatedKeyring& table) {
  crypto::Keyring ring;
  for (const auto& bytes : table.keys) {
    SYNOD_ASSIGN_OR_RETURN(crypto::Key32 key, crypto::key_from_bytes(bytes, "a replicated key"));
    ring.install(key);
  }
  if (!table.primary.empty()) {
    SYNOD_ASSIGN_OR_RETURN(crypto::Key32 primary,
                           crypto::key_from_bytes(table.primary, "the replicated primary"));
    SYNOD_RETURN_IF_ERROR(ring.use(primary));
  }
  return ring;
}

// Consul's list shape. The table is what every node applies, so each key
// is reported as held by every member (docs/crypto.md says so): a node that
// lags holds the table as of its applied index.
http::HttpResponse list(const ReplicatedKeyring& table, std::size_t num_nodes,
                        const std::string& datacenter) {
  const auto count = static_cast<std::uint64_t>(num_nodes);
  nlohmann::json keys = nlohmann::json::object(), primary = nlohmann::json::object();
  for (const auto& k : table.keys) keys[crypto::base64_encode(k)] = count;
  if (!table.primary.empty()) primary[crypto::base64_encode(table.primary)] = count;
  auto response =
      http::HttpResponse::json(nlohmann::json::array({{{"WAN", false},
                                                       {"Datacenter", datacenter},
                                                       {"Segment", ""},
                                                       {"Keys", keys},
                                                       {"PrimaryKeys", primary},
                                                       {"NumNodes", count},
                                                       {"Messages", nlohmann::json::object()}}}));
  response.set_header("X-Consul-Index", std::to_string(std::max<std::uint64_t>(table.index, 1)));
  return response;
}

http::HttpResponse failed(const Status& status) {
  // The op reached the state machine and was refused there (or never was
  // valid): the caller's mistake, 400 with the reason. Consensus trouble
  // (no leader, timeout) keeps its own status (503, 504).
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
      return http::HttpResponse::error(400, status.message());
    default:
      return http::HttpResponse::from_status(status);
  }
}

}  // namespace

ClusterKeyring::ClusterKeyring(asio::io_context& io, KeyringPort& port,
                               std::shared_ptr<crypto::KeyringStore> local, std::string datacenter)
    : io_(io),
      port_(port),
      local_(std::move(local)),
      datacenter_(std::move(datacenter)),
      timer_(io) {}

void ClusterKeyring::register_routes(http::Router& router) {
  router.add({"GET", "POST", "PUT", "DELETE"}, "/v1/operator/keyring",
             [this](http::HttpRequest request, http::Responder respond) {
               handle(std::move(request), std::move(respond));
             });
}

void ClusterKeyring::start() {
  if (!local_) return;
  on_table_changed();
  schedule_seed_check();
}

void ClusterKeyring::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ClusterKeyring::on_table_changed() {
  if (!local_) return;
  const ReplicatedKeyring table = port_.table();
  if (table.keys.empty()) return;  // not seeded yet (or an old snapshot): keep the local ring
  auto ring = to_keyring(table);
  if (!ring.is_ok()) {
    // The table validated every key on apply; this is a bug, not input.
    spdlog::error("crypto: replicated keyring unusable: {}", ring.status().message());
    return;
  }
  if (ring->same_as(*local_->snapshot())) return;
  const std::size_t count = ring->keys().size();
  if (Status s = local_->save_and_replace(std::move(*ring)); !s.is_ok()) {
    // The in-memory keyring is unchanged too; the next change retries.
    spdlog::error("crypto: cannot write the replicated keyring to disk: {}", s.message());
    return;
  }
  spdlog::info("crypto: keyring follows the replicated table ({} keys, index {})", count,
               table.index);
}

void ClusterKeyring::seed(KeyringPort::Done done) {
  const auto ring = local_->snapshot();
  if (ring->empty()) return done(failed_precondition("this node has no cluster key to seed"));
  std::vector<std::string> others;
  for (const auto& key : ring->keys()) {
    if (!key.equals(ring->primary())) others.push_back(raw(key));
  }
  port_.propose(proto::KEYRING_SEED, raw(ring->primary()), std::move(others), std::move(done));
}

void ClusterKeyring::schedule_seed_check() {
  timer_.expires_after(kSeedCheckInterval);
  timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    if (!seeding_ && port_.is_leader() && port_.table().keys.empty()) {
      seeding_ = true;
      seed([this](Result<bool> done) {
        seeding_ = false;
        if (!done.is_ok()) {
          spdlog::warn("crypto: seeding the replicated keyring failed (retrying): {}",
                       done.status().message());
        } else if (*done) {
          spdlog::info("crypto: seeded the replicated keyring with this node's keyring");
        }
      });
    }
    schedule_seed_check();
  });
}

void ClusterKeyring::handle(http::HttpRequest request, http::Responder respond) {
  if (!local_) {
    return respond(http::HttpResponse::error(400,
                                             "crypto is disabled on this node "
                                             "(crypto.enabled: false)"));
  }
  if (request.method == "GET") {
    ReplicatedKeyring table = port_.table();
    if (table.keys.empty()) {
      // Not seeded yet: this node's own keyring is what it uses.
      const auto ring = local_->snapshot();
      for (const auto& key : ring->keys()) table.keys.push_back(raw(key));
      if (!ring->empty()) table.primary = raw(ring->primary());
    }
    return respond(list(table, port_.num_nodes(), datacenter_));
  }
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("Key") ||
      !body["Key"].is_string()) {
    return respond(http::HttpResponse::error(400, "body must be JSON {\"Key\": \"<base64>\"}"));
  }
  auto key = crypto::key_from_base64(body["Key"].get<std::string>(), "Key");
  if (!key.is_ok()) return respond(http::HttpResponse::from_status(key.status()));
  const proto::KeyringVerb verb = request.method == "POST"  ? proto::KEYRING_INSTALL
                                  : request.method == "PUT" ? proto::KEYRING_USE
                                                            : proto::KEYRING_REMOVE;
  if (!port_.table().keys.empty()) return write(verb, *key, std::move(respond));
  // Unmigrated cluster: seed first, so the keys nodes accept today stay in
  // the table (a seed after another seed or write is a no-op).
  seed([this, verb, key = *key, respond = std::move(respond)](Result<bool> seeded) mutable {
    if (!seeded.is_ok()) return respond(failed(seeded.status()));
    write(verb, key, std::move(respond));
  });
}

void ClusterKeyring::write(proto::KeyringVerb verb, crypto::Key32 key, http::Responder respond) {
  port_.propose(verb, raw(key), {}, [verb, respond = std::move(respond)](Result<bool> done) {
    if (!done.is_ok()) {
      spdlog::info("crypto: keyring {} refused: {}", verb_name(verb), done.status().message());
      return respond(failed(done.status()));
    }
    spdlog::info("crypto: keyring {} applied", verb_name(verb));
    respond(http::HttpResponse::json(nlohmann::json(true)));
  });
}

}  // namespace synod::node::transport
