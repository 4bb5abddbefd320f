// Shared plumbing of the registry handlers (internal to node/registry).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "consensus/state/registry_resources.h"
#include "node/http/http_message.h"
#include "node/http/watch_hub.h"
#include "node/registry/registry_json.h"
#include "node/registry/registry_service.h"

namespace synod::node::registry {

// Names every handler file (agent, catalog, session) uses.
namespace state = consensus::state;
namespace res = consensus::state::resources;
using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

// What a read produces: the body and the X-Consul-Index it reflects, or an
// error Status (NotFound -> 404 with a plain-text body, as Consul).
struct ReadOutput {
  ordered_json body;
  std::uint64_t index = 0;
};
using ReadFn = std::function<Result<ReadOutput>(const consensus::state::StateStore&)>;

// Serves a read endpoint: query options, ?filter (when `filterable`),
// consistency, blocking on `resources`, Consul headers.
void serve_read(RegistryService& service, http::WatchHub& hub, const http::HttpRequest& request,
                http::Responder respond, std::vector<std::string> resources, ReadFn read,
                bool filterable);

// Proposes `command` and answers with `on_ok(result)` or the error.
void serve_write(RegistryService& service, proto::Command command, http::Responder respond,
                 std::function<http::HttpResponse(const consensus::state::ApplyResult&)> on_ok);

// A JSON request body; InvalidArgument "Request decode failed: ..." when bad.
// An empty body parses as null.
Result<ordered_json> parse_body(const http::HttpRequest& request);

http::HttpResponse json_response(const ordered_json& body, int status = 200);
http::HttpResponse true_response();
// Consul's error replies are plain text.
http::HttpResponse text_error(const Status& status);

}  // namespace synod::node::registry
