// /v1/agent/...: the services and checks this node owns (docs/api.md "Agent").
#include <set>

#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"
#include "node/registry/handler_util.h"
#include "node/registry/registry_handlers.h"

namespace synod::node::registry {
namespace {

Status unknown_service(const std::string& id) {
  return not_found("Unknown service ID \"" + id +
                   "\". Ensure that the service ID is passed, not "
                   "the service name.");
}

Status unknown_check(const std::string& id) {
  return not_found("Unknown check ID \"" + id +
                   "\". Ensure that the check ID is passed, not the check name.");
}

void register_service(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  auto reg = parse_agent_service(*body, svc.agent());
  if (!reg) return respond(text_error(reg.status()));
  for (const auto& check : reg->checks()) {
    if (auto st = svc.validate_runnable(check); !st.is_ok()) return respond(text_error(st));
  }
  // ?replace-existing-checks: the service's checks not in this body go.
  std::vector<std::string> stale;
  if (http::flag_param(req, "replace-existing-checks")) {
    std::set<std::string> keep;
    for (const auto& c : reg->checks()) keep.insert(c.check_id());
    for (const auto* c : svc.state().catalog().node_checks(svc.agent().name)) {
      if (c->service_id() == reg->service().id() && keep.count(c->check_id()) == 0) {
        stale.push_back(c->check_id());
      }
    }
  }
  serve_write(svc, state::make_register_command(std::move(*reg)), std::move(respond),
              [&svc, stale](const state::ApplyResult&) {
                for (const auto& id : stale) {
                  svc.write(state::make_deregister_command(svc.agent().name, {}, id),
                            [](Result<state::ApplyResult>) {});
                }
                return HttpResponse::text("", 200, "");
              });
}

void deregister_service(RegistryService& svc, HttpRequest req, Responder respond) {
  const std::string id = req.param("id");
  if (svc.state().catalog().service(svc.agent().name, id) == nullptr) {
    return respond(text_error(unknown_service(id)));
  }
  serve_write(svc, state::make_deregister_command(svc.agent().name, id), std::move(respond),
              [](const state::ApplyResult&) { return HttpResponse::text("", 200, ""); });
}

void list_services(RegistryService& svc, http::WatchHub& hub, HttpRequest req, Responder respond) {
  const std::string node = svc.agent().name;
  serve_read(
      svc, hub, req, std::move(respond), {res::node(node)},
      [node](const state::StateStore& s) -> Result<ReadOutput> {
        ordered_json out = ordered_json::object();
        for (const auto* service : s.catalog().node_services(node)) {
          out[service->id()] = agent_service_json(*service, "");
        }
        return ReadOutput{std::move(out), s.catalog().index(res::node(node))};
      },
      /*filterable=*/true);
}

void get_service(RegistryService& svc, http::WatchHub& hub, HttpRequest req, Responder respond) {
  const std::string node = svc.agent().name;
  const std::string id = req.param("id");
  serve_read(
      svc, hub, req, std::move(respond), {res::node(node)},
      [node, id](const state::StateStore& s) -> Result<ReadOutput> {
        const auto* service = s.catalog().service(node, id);
        if (service == nullptr) return unknown_service(id);
        return ReadOutput{agent_service_json(*service, ""), s.catalog().index(res::node(node))};
      },
      false);
}

void list_checks(RegistryService& svc, http::WatchHub& hub, HttpRequest req, Responder respond) {
  const std::string node = svc.agent().name;
  serve_read(
      svc, hub, req, std::move(respond), {res::node(node)},
      [node](const state::StateStore& s) -> Result<ReadOutput> {
        ordered_json out = ordered_json::object();
        for (const auto* check : s.catalog().node_checks(node)) {
          out[check->check_id()] = check_json(*check);
        }
        return ReadOutput{std::move(out), s.catalog().index(res::node(node))};
      },
      true);
}

void register_check(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  auto check = parse_agent_check(*body, svc.agent());
  if (!check) return respond(text_error(check.status()));
  if (auto st = svc.validate_runnable(*check); !st.is_ok()) return respond(text_error(st));
  if (!check->service_id().empty() &&
      svc.state().catalog().service(svc.agent().name, check->service_id()) == nullptr) {
    return respond(
        text_error(invalid_argument("ServiceID \"" + check->service_id() + "\" does not exist")));
  }
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(svc.agent().name);
  reg.mutable_node()->set_address(svc.agent().address);
  reg.mutable_node()->set_id(svc.agent().id);
  reg.set_skip_node_update(true);
  *reg.add_checks() = std::move(*check);
  serve_write(svc, state::make_register_command(std::move(reg)), std::move(respond),
              [](const state::ApplyResult&) { return HttpResponse::text("", 200, ""); });
}

void deregister_check(RegistryService& svc, HttpRequest req, Responder respond) {
  const std::string id = req.param("id");
  if (svc.state().catalog().check(svc.agent().name, id) == nullptr) {
    return respond(text_error(unknown_check(id)));
  }
  serve_write(svc, state::make_deregister_command(svc.agent().name, {}, id), std::move(respond),
              [](const state::ApplyResult&) { return HttpResponse::text("", 200, ""); });
}

// pass/warn/fail/update: TTL checks go through the runner (which restarts
// the TTL and replicates only changes); other checks of this node without a
// runner get the status written directly.
void update_check(RegistryService& svc, const std::string& id, const std::string& status,
                  const std::string& output, Responder respond) {
  if (svc.runner().has(id)) {
    auto st = svc.update_ttl(id, status, output);
    if (!st.is_ok()) return respond(text_error(st));
    return respond(HttpResponse::text("", 200, ""));
  }
  if (svc.state().catalog().check(svc.agent().name, id) == nullptr) {
    return respond(text_error(unknown_check(id)));
  }
  auto parsed = state::health_status_from_name(status);
  serve_write(svc,
              state::make_check_status_command(
                  {state::check_status_update(svc.agent().name, id, *parsed, output)}),
              std::move(respond),
              [](const state::ApplyResult&) { return HttpResponse::text("", 200, ""); });
}

void check_verb(RegistryService& svc, const std::string& status, HttpRequest req,
                Responder respond) {
  update_check(svc, req.param("id"), status, req.query_value("note").value_or(""),
               std::move(respond));
}

void check_update(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  std::string status;
  std::string output;
  if (body->is_object()) {
    if (body->contains("Status") && (*body)["Status"].is_string()) status = (*body)["Status"];
    if (body->contains("Output") && (*body)["Output"].is_string()) output = (*body)["Output"];
  }
  if (status != "passing" && status != "warning" && status != "critical") {
    return respond(text_error(invalid_argument("Invalid check status: \"" + status + "\"")));
  }
  update_check(svc, req.param("id"), status, output, std::move(respond));
}

// Maintenance mode: a critical check that fails the node or the service.
void maintenance(RegistryService& svc, const std::string& service_id, HttpRequest req,
                 Responder respond) {
  auto enable = req.query_value("enable");
  if (!enable) return respond(text_error(invalid_argument("Missing value for enable")));
  if (*enable != "true" && *enable != "false") {
    return respond(text_error(invalid_argument("Invalid value for enable: \"" + *enable + "\"")));
  }
  const std::string& node = svc.agent().name;
  if (!service_id.empty() && svc.state().catalog().service(node, service_id) == nullptr) {
    return respond(text_error(not_found("No service registered with ID \"" + service_id + "\"")));
  }
  const std::string check_id =
      service_id.empty() ? "_node_maintenance" : "_service_maintenance:" + service_id;
  auto ok = [](const state::ApplyResult&) { return HttpResponse::text("", 200, ""); };
  if (*enable == "false") {
    return serve_write(svc, state::make_deregister_command(node, {}, check_id), std::move(respond),
                       ok);
  }
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(node);
  reg.mutable_node()->set_address(svc.agent().address);
  reg.set_skip_node_update(true);
  auto* check = reg.add_checks();
  check->set_node(node);
  check->set_check_id(check_id);
  check->set_name(service_id.empty() ? "Node Maintenance Mode" : "Service Maintenance Mode");
  check->set_service_id(service_id);
  check->set_status(proto::HEALTH_CRITICAL);
  check->set_type("maintenance");
  std::string reason = req.query_value("reason").value_or("");
  check->set_notes(!reason.empty() ? reason
                   : service_id.empty()
                       ? "Maintenance mode is enabled for this node, but no reason was provided. "
                         "This is a default message."
                       : "Maintenance mode is enabled for this service, but no reason was "
                         "provided. This is a default message.");
  serve_write(svc, state::make_register_command(std::move(reg)), std::move(respond), ok);
}

}  // namespace

void register_agent_routes(http::Router& router, RegistryService& svc, http::WatchHub& hub) {
  router.add("PUT", "/v1/agent/service/register", [&svc](HttpRequest req, Responder r) {
    register_service(svc, std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/agent/service/deregister/:id", [&svc](HttpRequest req, Responder r) {
    deregister_service(svc, std::move(req), std::move(r));
  });
  router.add("GET", "/v1/agent/services", [&svc, &hub](HttpRequest req, Responder r) {
    list_services(svc, hub, std::move(req), std::move(r));
  });
  router.add("GET", "/v1/agent/service/:id", [&svc, &hub](HttpRequest req, Responder r) {
    get_service(svc, hub, std::move(req), std::move(r));
  });
  router.add("GET", "/v1/agent/checks", [&svc, &hub](HttpRequest req, Responder r) {
    list_checks(svc, hub, std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/agent/check/register", [&svc](HttpRequest req, Responder r) {
    register_check(svc, std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/agent/check/deregister/:id", [&svc](HttpRequest req, Responder r) {
    deregister_check(svc, std::move(req), std::move(r));
  });
  for (const auto& [verb, status] : {std::pair<const char*, const char*>{"pass", "passing"},
                                     {"warn", "warning"},
                                     {"fail", "critical"}}) {
    router.add("PUT", std::string("/v1/agent/check/") + verb + "/:id",
               [&svc, status = std::string(status)](HttpRequest req, Responder r) {
                 check_verb(svc, status, std::move(req), std::move(r));
               });
  }
  router.add("PUT", "/v1/agent/check/update/:id", [&svc](HttpRequest req, Responder r) {
    check_update(svc, std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/agent/maintenance", [&svc](HttpRequest req, Responder r) {
    maintenance(svc, "", std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/agent/service/maintenance/:id", [&svc](HttpRequest req, Responder r) {
    const std::string id = req.param("id");
    maintenance(svc, id, std::move(req), std::move(r));
  });
}

void register_registry_routes(http::Router& router, RegistryService& service, http::WatchHub& hub) {
  register_agent_routes(router, service, hub);
  register_catalog_routes(router, service, hub);
  register_session_routes(router, service, hub);
}

}  // namespace synod::node::registry
