// /v1/catalog/..., /v1/health/... and /v1/synod/select/:service
// (docs/api.md "Catalog", "Health", "Load balancing").
#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"
#include "node/registry/handler_util.h"
#include "node/registry/registry_handlers.h"

namespace synod::node::registry {
namespace {

// ?tag= (repeatable) and ?node-meta=key:value (repeatable).
Result<state::InstanceFilter> instance_filter(const HttpRequest& req) {
  state::InstanceFilter filter;
  auto [tb, te] = req.query.equal_range("tag");
  for (auto it = tb; it != te; ++it) filter.tags.push_back(it->second);
  auto [mb, me] = req.query.equal_range("node-meta");
  for (auto it = mb; it != me; ++it) {
    const auto colon = it->second.find(':');
    if (colon == std::string::npos) {
      return invalid_argument("Invalid node-meta filter \"" + it->second + "\": want key:value");
    }
    filter.node_meta.emplace_back(it->second.substr(0, colon), it->second.substr(colon + 1));
  }
  return filter;
}

void catalog_register(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  auto reg = parse_catalog_register(*body);
  if (!reg) return respond(text_error(reg.status()));
  serve_write(svc, state::make_register_command(std::move(*reg)), std::move(respond),
              [](const state::ApplyResult&) { return true_response(); });
}

void catalog_deregister(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  auto dereg = parse_catalog_deregister(*body);
  if (!dereg) return respond(text_error(dereg.status()));
  serve_write(svc,
              state::make_deregister_command(dereg->node(), dereg->service_id(), dereg->check_id()),
              std::move(respond), [](const state::ApplyResult&) { return true_response(); });
}

void serve_filtered(
    RegistryService& svc, http::WatchHub& hub, HttpRequest req, Responder respond,
    std::string resource,
    std::function<ordered_json(const state::StateStore&, const state::InstanceFilter&)> build) {
  auto filter = instance_filter(req);
  if (!filter) return respond(text_error(filter.status()));
  serve_read(
      svc, hub, req, std::move(respond), {resource},
      [resource, filter = *filter,
       build = std::move(build)](const state::StateStore& s) -> Result<ReadOutput> {
        return ReadOutput{build(s, filter), s.catalog().index(resource)};
      },
      true);
}

void add_catalog_routes(http::Router& router, RegistryService& svc, http::WatchHub& hub) {
  router.add("PUT", "/v1/catalog/register", [&svc](HttpRequest req, Responder r) {
    catalog_register(svc, std::move(req), std::move(r));
  });
  router.add("PUT", "/v1/catalog/deregister", [&svc](HttpRequest req, Responder r) {
    catalog_deregister(svc, std::move(req), std::move(r));
  });
  router.add("GET", "/v1/catalog/datacenters", [&svc](HttpRequest, Responder r) {
    r(json_response(ordered_json::array({svc.agent().datacenter})));
  });
  router.add("GET", "/v1/catalog/nodes", [&svc, &hub](HttpRequest req, Responder r) {
    serve_filtered(svc, hub, std::move(req), std::move(r), std::string(res::kNodes),
                   [](const state::StateStore& s, const state::InstanceFilter& f) {
                     ordered_json out = ordered_json::array();
                     for (const auto* n : s.catalog().nodes(f)) out.push_back(node_json(*n));
                     return out;
                   });
  });
  router.add("GET", "/v1/catalog/services", [&svc, &hub](HttpRequest req, Responder r) {
    serve_filtered(svc, hub, std::move(req), std::move(r), std::string(res::kServices),
                   [](const state::StateStore& s, const state::InstanceFilter& f) {
                     ordered_json out = ordered_json::object();
                     for (const auto& [name, tags] : s.catalog().services(f)) out[name] = tags;
                     return out;
                   });
  });
  router.add("GET", "/v1/catalog/service/:service", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("service");
    serve_filtered(svc, hub, std::move(req), std::move(r), res::service(name),
                   [name](const state::StateStore& s, const state::InstanceFilter& f) {
                     ordered_json out = ordered_json::array();
                     for (const auto& i : s.catalog().service_instances(name, f)) {
                       out.push_back(catalog_service_json(*i.node, *i.service));
                     }
                     return out;
                   });
  });
  router.add("GET", "/v1/catalog/node/:node", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("node");
    const std::string resource = res::node(name);
    serve_read(
        svc, hub, req, std::move(r), {resource},
        [name, resource](const state::StateStore& s) -> Result<ReadOutput> {
          const auto* node = s.catalog().node(name);
          if (node == nullptr) return ReadOutput{nullptr, s.catalog().index(resource)};
          ordered_json services = ordered_json::object();
          for (const auto* svc : s.catalog().node_services(name)) {
            services[svc->id()] = agent_service_json(*svc, "");
          }
          return ReadOutput{ordered_json{{"Node", node_json(*node)}, {"Services", services}},
                            s.catalog().index(resource)};
        },
        false);
  });
}

void add_health_routes(http::Router& router, RegistryService& svc, http::WatchHub& hub) {
  router.add("GET", "/v1/health/service/:service", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("service");
    const bool passing = http::flag_param(req, "passing");
    serve_filtered(svc, hub, std::move(req), std::move(r), res::service(name),
                   [name, passing](const state::StateStore& s, const state::InstanceFilter& f) {
                     ordered_json out = ordered_json::array();
                     for (const auto& e : s.catalog().service_health(name, f, passing)) {
                       out.push_back(service_entry_json(e));
                     }
                     return out;
                   });
  });
  router.add("GET", "/v1/health/checks/:service", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("service");
    serve_filtered(svc, hub, std::move(req), std::move(r), res::service(name),
                   [name](const state::StateStore& s, const state::InstanceFilter&) {
                     ordered_json out = ordered_json::array();
                     for (const auto* c : s.catalog().service_checks(name))
                       out.push_back(check_json(*c));
                     return out;
                   });
  });
  router.add("GET", "/v1/health/node/:node", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("node");
    serve_filtered(svc, hub, std::move(req), std::move(r), res::node(name),
                   [name](const state::StateStore& s, const state::InstanceFilter&) {
                     ordered_json out = ordered_json::array();
                     for (const auto* c : s.catalog().node_checks(name))
                       out.push_back(check_json(*c));
                     return out;
                   });
  });
  router.add("GET", "/v1/health/state/:state", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string name = req.param("state");
    std::optional<proto::HealthStatus> status;
    if (name != "any") {
      status = state::health_status_from_name(name);
      if (!status || *status == proto::HEALTH_MAINTENANCE) {
        return r(text_error(invalid_argument("Invalid check state \"" + name + "\"")));
      }
    }
    const std::string resource = status ? res::state(*status) : std::string(res::kChecks);
    serve_filtered(svc, hub, std::move(req), std::move(r), resource,
                   [status](const state::StateStore& s, const state::InstanceFilter&) {
                     ordered_json out = ordered_json::array();
                     for (const auto* c : s.catalog().checks_in_state(status))
                       out.push_back(check_json(*c));
                     return out;
                   });
  });
  // synod's own: pick one healthy instance with a load-balancing strategy.
  router.add("GET", "/v1/synod/select/:service", [&svc](HttpRequest req, Responder r) {
    const std::string name = req.param("service");
    auto picked =
        svc.select(name, req.query_value("strategy").value_or(""), req.query_value("key"));
    if (!picked) return r(http::HttpResponse::from_status(picked.status()));
    r(json_response(ordered_json{{"Node", picked->node},
                                 {"ServiceID", picked->service_id},
                                 {"Address", picked->address},
                                 {"Port", picked->port},
                                 {"Strategy", picked->strategy},
                                 {"Healthy", picked->healthy}}));
  });
}

}  // namespace

void register_catalog_routes(http::Router& router, RegistryService& svc, http::WatchHub& hub) {
  add_catalog_routes(router, svc, hub);
  add_health_routes(router, svc, hub);
}

}  // namespace synod::node::registry
