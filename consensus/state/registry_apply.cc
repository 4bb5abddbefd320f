#include "consensus/state/registry_apply.h"

#include <map>
#include <utility>

#include "consensus/state/registry_codec.h"

namespace synod::consensus::state {
namespace {

// Ends a session: it leaves the table and its KV locks are released or
// deleted with its lock-delay. False if it did not exist.
bool invalidate(std::string_view id, RegistryTables& tables, const KvApplyContext& ctx) {
  std::optional<proto::Session> gone = tables.sessions.erase(id, ctx.index, *ctx.changes);
  if (!gone) return false;
  const SessionBehavior behavior = gone->behavior() == proto::SESSION_DELETE
                                       ? SessionBehavior::kDelete
                                       : SessionBehavior::kRelease;
  tables.kv.invalidate_session(id, behavior, gone->lock_delay_ms(), ctx);
  return true;
}

void invalidate_bound(std::string_view node, std::string_view check_id, RegistryTables& tables,
                      const KvApplyContext& ctx) {
  for (const std::string& id : tables.sessions.bound_to(node, check_id)) {
    invalidate(id, tables, ctx);
  }
}

CatalogWriteContext catalog_ctx(const KvApplyContext& ctx) { return {ctx.index, ctx.changes}; }

Result<bool> apply_register(const proto::CatalogRegister& request, RegistryTables& tables,
                            const KvApplyContext& ctx) {
  CatalogTable& catalog = tables.catalog;
  const std::string& name = request.node().node();
  const proto::Node* existing = catalog.node(name);

  // Validate everything against the current state before changing anything.
  const bool write_node = !request.skip_node_update() || existing == nullptr;
  if (write_node && request.node().address().empty()) {
    return invalid_argument("Must provide address");
  }
  if (write_node && !request.node().id().empty()) {
    const std::string owner = catalog.node_with_id(request.node().id());
    if (!owner.empty() && owner != name) {
      return failed_precondition("node ID \"" + request.node().id() +
                                 "\" already belongs to node \"" + owner + "\"");
    }
  }
  std::optional<proto::Service> service;
  if (request.has_service()) {
    service = request.service();
    service->set_node(name);
    if (service->id().empty()) service->set_id(service->service());
  }
  std::vector<proto::HealthCheck> checks;
  checks.reserve(request.checks_size());
  for (const proto::HealthCheck& given : request.checks()) {
    proto::HealthCheck check = given;
    check.set_node(name);
    if (check.check_id().empty()) check.set_check_id(check.name());
    if (!check.service_id().empty() && !(service && service->id() == check.service_id()) &&
        catalog.service(name, check.service_id()) == nullptr) {
      return failed_precondition("Missing service registration: check \"" + check.check_id() +
                                 "\" names unknown service ID \"" + check.service_id() + "\"");
    }
    checks.push_back(std::move(check));
  }

  const CatalogWriteContext cctx = catalog_ctx(ctx);
  if (write_node) {
    proto::Node node = request.node();
    node.clear_create_index();
    node.clear_modify_index();
    catalog.put_node(std::move(node), cctx);
  }
  if (service) catalog.put_service(std::move(*service), cctx);
  for (proto::HealthCheck& check : checks) {
    const std::string check_id = check.check_id();
    catalog.put_check(std::move(check), cctx);
    const proto::HealthCheck* stored = catalog.check(name, check_id);
    if (stored != nullptr && stored->status() == proto::HEALTH_CRITICAL) {
      invalidate_bound(name, check_id, tables, ctx);
    }
  }
  return true;
}

Result<bool> apply_deregister(const proto::CatalogDeregister& request, RegistryTables& tables,
                              const KvApplyContext& ctx) {
  const CatalogWriteContext cctx = catalog_ctx(ctx);
  const std::string& node = request.node();
  std::vector<std::string> removed_checks;
  bool removed = false;
  if (!request.service_id().empty()) {
    removed = tables.catalog.remove_service(node, request.service_id(), cctx, &removed_checks);
  } else if (!request.check_id().empty()) {
    removed = tables.catalog.remove_check(node, request.check_id(), cctx);
    if (removed) removed_checks.push_back(request.check_id());
  } else {
    removed = tables.catalog.remove_node(node, cctx, &removed_checks);
    std::vector<std::string> ids;
    for (const proto::Session* session : tables.sessions.by_node(node)) {
      ids.push_back(session->id());
    }
    for (const auto& id : ids) invalidate(id, tables, ctx);
  }
  for (const auto& check_id : removed_checks) invalidate_bound(node, check_id, tables, ctx);
  return removed;
}

Result<bool> apply_check_status(const proto::CheckStatusBatch& batch, RegistryTables& tables,
                                const KvApplyContext& ctx) {
  const CatalogWriteContext cctx = catalog_ctx(ctx);
  bool all_found = true;
  for (const proto::CheckStatusUpdate& update : batch.updates()) {
    if (tables.catalog.check(update.node(), update.check_id()) == nullptr) {
      all_found = false;
      continue;
    }
    const bool changed = tables.catalog.set_check_status(update.node(), update.check_id(),
                                                         update.status(), update.output(), cctx);
    if (changed && update.status() == proto::HEALTH_CRITICAL) {
      invalidate_bound(update.node(), update.check_id(), tables, ctx);
    }
  }
  return all_found;
}

Result<bool> apply_session_create(const proto::Session& request, RegistryTables& tables,
                                  const KvApplyContext& ctx) {
  if (tables.catalog.node(request.node()) == nullptr) {
    return failed_precondition("Missing node registration: node \"" + request.node() +
                               "\" is not registered");
  }
  if (tables.sessions.find(request.id()) != nullptr) {
    return already_exists("session ID \"" + request.id() + "\" already exists");
  }
  std::vector<std::string> check_ids(request.checks().begin(), request.checks().end());
  check_ids.insert(check_ids.end(), request.node_checks().begin(), request.node_checks().end());
  for (const auto& ref : request.service_checks()) check_ids.push_back(ref.id());
  for (const auto& check_id : check_ids) {
    const proto::HealthCheck* check = tables.catalog.check(request.node(), check_id);
    if (check == nullptr) {
      return failed_precondition("Missing check '" + check_id + "' registration");
    }
    if (check->status() == proto::HEALTH_CRITICAL) {
      return failed_precondition("Check '" + check_id + "' is in critical state");
    }
  }
  proto::Session session = request;
  tables.sessions.insert(std::move(session), ctx.index, *ctx.changes);
  return true;
}

}  // namespace

Result<bool> apply_registry_command(const proto::Command& command, RegistryTables tables,
                                    const KvApplyContext& ctx) {
  switch (command.body_case()) {
    case proto::Command::kCatalogRegister:
      return apply_register(command.catalog_register(), tables, ctx);
    case proto::Command::kCatalogDeregister:
      return apply_deregister(command.catalog_deregister(), tables, ctx);
    case proto::Command::kCheckStatus:
      return apply_check_status(command.check_status(), tables, ctx);
    case proto::Command::kSessionCreate:
      return apply_session_create(command.session_create().session(), tables, ctx);
    case proto::Command::kSessionDestroy:
      return invalidate(command.session_destroy().id(), tables, ctx);
    case proto::Command::kSessionRenew: {
      // No state change: the marked record tells the leader to reset the timer.
      const std::string& id = command.session_renew().id();
      if (tables.sessions.find(id) == nullptr) return false;
      ctx.changes->mark(RecordTable::kSessions, id);
      return true;
    }
    case proto::Command::kSessionInvalidate: {
      bool all = true;
      for (const auto& id : command.session_invalidate().ids()) {
        all = invalidate(id, tables, ctx) && all;
      }
      return all;
    }
    default:
      return invalid_argument("not a registry command");
  }
}

}  // namespace synod::consensus::state
