// /v1/session/... (docs/api.md "Session").
#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"
#include "consensus/state/session_table.h"
#include "node/http/consul.h"
#include "node/registry/handler_util.h"
#include "node/registry/registry_handlers.h"

namespace synod::node::registry {
namespace {

ordered_json session_list(const std::vector<const proto::Session*>& sessions) {
  ordered_json out = ordered_json::array();
  for (const auto* s : sessions) out.push_back(session_json(*s));
  return out;
}

void create(RegistryService& svc, HttpRequest req, Responder respond) {
  auto body = parse_body(req);
  if (!body) return respond(text_error(body.status()));
  auto session = parse_session_create(*body, svc.agent().name);
  if (!session) return respond(text_error(session.status()));
  const std::string id = svc.new_session_id();
  session->set_id(id);
  serve_write(svc, state::make_session_create_command(std::move(*session)), std::move(respond),
              [id](const state::ApplyResult&) {
                return json_response(ordered_json{{"ID", id}});
              });
}

void renew(RegistryService& svc, HttpRequest req, Responder respond) {
  const std::string id = req.param("id");
  svc.renew_session(id, [&svc, id, respond = std::move(respond)](Result<bool> r) {
    if (!r) return respond(text_error(r.status()));
    const auto* session = svc.state().sessions().find(id);
    if (!*r || session == nullptr) {
      return respond(text_error(not_found("Session id '" + id + "' not found")));
    }
    auto response = json_response(session_list({session}));
    http::set_consul_headers(response, svc.state().sessions().index(res::session(id)),
                             svc.leader_view());
    respond(std::move(response));
  });
}

}  // namespace

void register_session_routes(http::Router& router, RegistryService& svc, http::WatchHub& hub) {
  router.add("PUT", "/v1/session/create",
             [&svc](HttpRequest req, Responder r) { create(svc, std::move(req), std::move(r)); });
  router.add("PUT", "/v1/session/destroy/:id", [&svc](HttpRequest req, Responder r) {
    serve_write(svc, state::make_session_destroy_command(req.param("id")), std::move(r),
                [](const state::ApplyResult&) { return true_response(); });
  });
  router.add("PUT", "/v1/session/renew/:id",
             [&svc](HttpRequest req, Responder r) { renew(svc, std::move(req), std::move(r)); });
  router.add("GET", "/v1/session/info/:id", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string id = req.param("id");
    const std::string resource = res::session(id);
    serve_read(
        svc, hub, req, std::move(r), {resource, std::string(res::kSessions)},
        [id, resource](const state::StateStore& s) -> Result<ReadOutput> {
          std::vector<const proto::Session*> found;
          if (const auto* session = s.sessions().find(id)) found.push_back(session);
          return ReadOutput{session_list(found), s.sessions().index(resource)};
        },
        false);
  });
  router.add("GET", "/v1/session/node/:node", [&svc, &hub](HttpRequest req, Responder r) {
    const std::string node = req.param("node");
    const std::string resource = res::node_sessions(node);
    serve_read(
        svc, hub, req, std::move(r), {resource},
        [node, resource](const state::StateStore& s) -> Result<ReadOutput> {
          return ReadOutput{session_list(s.sessions().by_node(node)), s.sessions().index(resource)};
        },
        true);
  });
  router.add("GET", "/v1/session/list", [&svc, &hub](HttpRequest req, Responder r) {
    serve_read(
        svc, hub, req, std::move(r), {std::string(res::kSessions)},
        [](const state::StateStore& s) -> Result<ReadOutput> {
          return ReadOutput{session_list(s.sessions().list()), s.sessions().index(res::kSessions)};
        },
        true);
  });
}

}  // namespace synod::node::registry
