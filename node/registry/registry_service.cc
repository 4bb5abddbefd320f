#include "node/registry/registry_service.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "consensus/state/catalog_table.h"
#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"
#include "consensus/state/session_table.h"

namespace synod::node::registry {
namespace {

namespace state = consensus::state;

std::optional<CheckSpec> spec_of(const proto::HealthCheck& check) {
  const auto& def = check.definition();
  CheckSpec spec;
  spec.check_id = check.check_id();
  spec.service_id = check.service_id();
  if (!def.http().empty()) {
    spec.kind = CheckKind::kHttp;
    spec.http.url = def.http();
    spec.http.method = def.method().empty() ? "GET" : def.method();
    spec.http.body = def.body();
    for (const auto& [name, values] : def.header()) {
      spec.http.headers[name] = {values.values().begin(), values.values().end()};
    }
  } else if (!def.tcp().empty()) {
    spec.kind = CheckKind::kTcp;
    spec.tcp = def.tcp();
  } else if (def.args_size() > 0) {
    spec.kind = CheckKind::kScript;
    spec.args = {def.args().begin(), def.args().end()};
  } else if (def.ttl_ms() > 0) {
    spec.kind = CheckKind::kTtl;
  } else {
    return std::nullopt;  // no definition: a check updated only through the API
  }
  spec.interval = std::chrono::milliseconds(def.interval_ms());
  spec.timeout = std::chrono::milliseconds(def.timeout_ms() > 0 ? def.timeout_ms() : 10'000);
  spec.ttl = std::chrono::milliseconds(def.ttl_ms());
  spec.deregister_after = std::chrono::milliseconds(def.deregister_critical_service_after_ms());
  return spec;
}

std::string status_name(proto::HealthStatus status) {
  return std::string(state::health_status_name(status));
}

}  // namespace

RegistryService::RegistryService(asio::io_context& io, ConsensusPort& port, http::WatchHub& hub,
                                 RegistryOptions options)
    : io_(io),
      port_(port),
      hub_(hub),
      options_(std::move(options)),
      runner_(
          io, options_.enable_script,
          CheckRunner::Callbacks{
              [this](const std::string& id, const std::string& status, const std::string& output) {
                auto parsed = state::health_status_from_name(status);
                if (!parsed) return;
                write(state::make_check_status_command(
                          {state::check_status_update(options_.agent.name, id, *parsed, output)}),
                      [id](Result<state::ApplyResult> r) {
                        if (!r.is_ok()) {
                          spdlog::warn("check {}: status update not replicated: {}", id,
                                       r.status().to_string());
                        }
                      });
              },
              [this](const std::string& service_id, const std::string& check_id) {
                spdlog::info("service {}: check {} critical for too long; deregistering",
                             service_id, check_id);
                write(state::make_deregister_command(options_.agent.name, service_id),
                      [](Result<state::ApplyResult>) {});
              }}),
      poll_timer_(io) {}

RegistryService::~RegistryService() { stop(); }

void RegistryService::start() {
  reconcile_all_checks();
  poll_leadership();
}

void RegistryService::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  poll_timer_.cancel();
  session_timers_.clear();
}

void RegistryService::read(http::Consistency consistency, std::function<void(Status)> done) {
  if (consistency == http::Consistency::kStale) return done(Status::ok());
  port_.read_barrier(std::move(done));
}

void RegistryService::write(proto::Command command, ApplyCallback done) {
  port_.propose(std::move(command), std::move(done));
}

void RegistryService::on_applied(const state::ChangeSet& changes, std::uint64_t index) {
  for (const auto& resource : state::changed_resources(changes)) hub_.notify(resource, index);
  for (const auto& key : changes.keys(state::RecordTable::kChecks)) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) continue;
    const std::string node = key.substr(0, slash);
    if (node == options_.agent.name) reconcile_check(node, key.substr(slash + 1));
  }
  if (!port_.is_leader()) return;
  const auto& sessions = port_.state().sessions();
  for (const auto& id : changes.keys(state::RecordTable::kSessions)) {
    const auto* session = sessions.find(id);
    if (session == nullptr || session->ttl_ms() == 0) {
      session_timers_.erase(id);
    } else {
      arm_session(*session);  // created or renewed: full TTL again
    }
  }
}

const RegistryService::CachedRead* RegistryService::cached_read(const std::string& key) const {
  if (state().applied_index().value() != cache_applied_) return nullptr;
  auto it = read_cache_.find(key);
  return it == read_cache_.end() ? nullptr : &it->second;
}

void RegistryService::cache_read(const std::string& key, CachedRead value) {
  const std::uint64_t applied = state().applied_index().value();
  if (applied != cache_applied_ || read_cache_.size() >= 4096) {
    read_cache_.clear();
    cache_applied_ = applied;
  }
  read_cache_[key] = std::move(value);
}

Status RegistryService::validate_runnable(const proto::HealthCheck& check) const {
  if (check.definition().args_size() > 0 && !options_.enable_script) {
    return invalid_argument(
        "Scripts are disabled on this agent; to enable, configure 'checks.enable_script: true'");
  }
  return Status::ok();
}

Status RegistryService::update_ttl(const std::string& check_id, const std::string& status,
                                   const std::string& output) {
  return runner_.update_ttl(check_id, status, output);
}

void RegistryService::renew_session(const std::string& id, std::function<void(Result<bool>)> done) {
  write(state::make_session_renew_command(id),
        [done = std::move(done)](Result<state::ApplyResult> r) {
          if (!r.is_ok()) return done(r.status());
          if (!r->status.is_ok()) return done(r->status);
          done(r->ok);
        });
}

std::string RegistryService::new_session_id() {
  std::uint8_t b[16];
  for (auto& byte : b) byte = static_cast<std::uint8_t>(random_.next_u64());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

void RegistryService::set_node_health(const std::string& node, bool alive,
                                      const std::string& output) {
  if (!port_.is_leader()) return;
  const auto* check = port_.state().catalog().check(node, state::kSerfHealthCheckId);
  if (check == nullptr) return;
  const auto status = alive ? proto::HEALTH_PASSING : proto::HEALTH_CRITICAL;
  if (check->status() == status) return;
  write(state::make_check_status_command({state::check_status_update(
            node, state::kSerfHealthCheckId, status,
            output.empty() ? (alive ? "Agent alive and reachable" : "Agent not live or unreachable")
                           : output)}),
        [](Result<state::ApplyResult>) {});
}

void RegistryService::arm_session(const proto::Session& session) {
  auto& timer = session_timers_[session.id()];
  if (!timer) timer = std::make_unique<asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(
      static_cast<double>(session.ttl_ms()) * options_.session_ttl_multiplier)));
  timer->async_wait([this, alive = alive_, id = session.id()](error_code ec) {
    if (ec || !*alive || !port_.is_leader()) return;
    session_timers_.erase(id);
    spdlog::info("session {}: TTL expired; invalidating", id);
    write(state::make_session_invalidate_command({id}), [](Result<state::ApplyResult>) {});
  });
}

void RegistryService::poll_leadership() {
  if (stopped_) return;
  const bool leader = port_.is_leader();
  const std::uint64_t term = port_.term();
  if (leader && (!was_leader_ || term != leader_term_)) {
    // New leadership: every TTL starts again at full length (no session may
    // expire early because the old leader's timers died with it).
    session_timers_.clear();
    for (const auto* session : port_.state().sessions().with_ttl()) arm_session(*session);
    leader_term_ = term;
  } else if (!leader && was_leader_) {
    session_timers_.clear();
  }
  was_leader_ = leader;
  if (port_.leader_view().known_leader) ensure_self_registered();
  poll_timer_.expires_after(options_.leader_poll);
  poll_timer_.async_wait([this, alive = alive_](error_code ec) {
    if (!ec && *alive) poll_leadership();
  });
}

void RegistryService::ensure_self_registered() {
  if (self_registration_in_flight_ || options_.agent.name.empty()) return;
  const auto& catalog = port_.state().catalog();
  const auto* node = catalog.node(options_.agent.name);
  const auto* serf = catalog.check(options_.agent.name, state::kSerfHealthCheckId);
  if (node != nullptr && serf != nullptr && node->address() == options_.agent.address) return;
  proto::CatalogRegister reg;
  auto* n = reg.mutable_node();
  n->set_node(options_.agent.name);
  n->set_id(options_.agent.id);
  n->set_address(options_.agent.address);
  n->set_datacenter(options_.agent.datacenter);
  if (serf == nullptr) {
    auto* check = reg.add_checks();
    check->set_node(options_.agent.name);
    check->set_check_id(std::string(state::kSerfHealthCheckId));
    check->set_name("Serf Health Status");
    check->set_status(proto::HEALTH_PASSING);
    check->set_output("Agent alive and reachable");
    check->set_type("serf");
  }
  self_registration_in_flight_ = true;
  write(state::make_register_command(std::move(reg)),
        [this, alive = alive_](Result<state::ApplyResult> r) {
          if (!*alive) return;
          self_registration_in_flight_ = false;
          if (!r.is_ok() || !r->status.is_ok()) {
            spdlog::debug("self-registration in the catalog failed: {}",
                          r.is_ok() ? r->status.to_string() : r.status().to_string());
          }
        });
}

void RegistryService::reconcile_check(const std::string& node, const std::string& check_id) {
  const auto* check = port_.state().catalog().check(node, check_id);
  if (check == nullptr) return runner_.remove(check_id);
  auto spec = spec_of(*check);
  if (!spec) return runner_.remove(check_id);
  const std::string status = status_name(check->status());
  auto added = runner_.add(std::move(*spec), status);
  if (!added.is_ok()) {
    spdlog::warn("check {}: not run on this node: {}", check_id, added.to_string());
  }
}

void RegistryService::reconcile_all_checks() {
  for (const auto* check : port_.state().catalog().node_checks(options_.agent.name)) {
    reconcile_check(options_.agent.name, check->check_id());
  }
}

Result<Selection> RegistryService::select(const std::string& service, const std::string& strategy,
                                          const std::optional<std::string>& key) {
  std::string name = strategy;
  if (name.empty()) {
    auto it = options_.strategies.find(service);
    name = it != options_.strategies.end() ? it->second : options_.default_strategy;
  }
  auto& slot = strategies_[service + '\0' + name];
  if (!slot) {
    SYNOD_ASSIGN_OR_RETURN(slot, loadbalance::make_strategy(name, random_));
  }
  const auto healthy = port_.state().catalog().service_health(service, {}, /*passing_only=*/true);
  if (healthy.empty()) return not_found("no healthy instance of service \"" + service + "\"");
  std::vector<loadbalance::Endpoint> endpoints;
  for (const auto& entry : healthy) {
    loadbalance::Endpoint e;
    e.id = entry.node->node() + "/" + entry.service->id();
    const std::string host =
        entry.service->address().empty() ? entry.node->address() : entry.service->address();
    e.address = host + ":" + std::to_string(entry.service->port());
    const int weight = entry.service->has_weights() ? entry.service->weights().passing() : 1;
    e.weight = weight > 0 ? static_cast<std::uint32_t>(weight) : 1;
    endpoints.push_back(std::move(e));
  }
  const auto& current = slot->endpoints();
  bool same = current.size() == endpoints.size();
  for (std::size_t i = 0; same && i < endpoints.size(); ++i) {
    same = current[i].id == endpoints[i].id && current[i].address == endpoints[i].address &&
           current[i].weight == endpoints[i].weight;
  }
  if (!same) slot->set_endpoints(endpoints);
  loadbalance::PickRequest request;
  if (key) request.key = *key;
  auto picked = slot->pick(request);
  if (!picked) return not_found("no healthy instance of service \"" + service + "\"");
  const auto& entry = healthy[*picked];
  Selection out;
  out.node = entry.node->node();
  out.service_id = entry.service->id();
  out.address = entry.service->address().empty() ? entry.node->address() : entry.service->address();
  out.port = entry.service->port();
  out.strategy = name;
  out.healthy = healthy.size();
  return out;
}

}  // namespace synod::node::registry
