#include "node/registry/handler_util.h"

#include "node/http/blocking.h"
#include "node/http/consul.h"
#include "node/http/filter.h"

namespace synod::node::registry {

http::HttpResponse json_response(const ordered_json& body, int status) {
  return http::HttpResponse::text(body.dump(), status, "application/json");
}

http::HttpResponse true_response() { return json_response(ordered_json(true)); }

http::HttpResponse text_error(const Status& status) {
  return http::HttpResponse::text(status.message(), http::http_status_for(status.code()),
                                  "text/plain; charset=utf-8");
}

Result<ordered_json> parse_body(const http::HttpRequest& request) {
  if (request.body.empty()) return ordered_json(nullptr);
  auto body = ordered_json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return invalid_argument("Request decode failed: invalid JSON body");
  return body;
}

void serve_read(RegistryService& service, http::WatchHub& hub, const http::HttpRequest& request,
                http::Responder respond, std::vector<std::string> resources, ReadFn read,
                bool filterable) {
  auto options = http::parse_query_options(request);
  if (!options) return respond(text_error(options.status()));
  std::optional<http::Filter> filter;
  if (filterable) {
    auto parsed = http::filter_param(request);
    if (!parsed) return respond(text_error(parsed.status()));
    filter = std::move(*parsed);
  }
  const auto consistency = options->consistency;
  // The cache key: the target without the blocking parameters.
  std::string key = request.path + "?";
  for (const auto& [name, value] : request.query) {
    if (name != "index" && name != "wait") key += name + "=" + value + "&";
  }
  http::BlockingQuery query = [&service, consistency, read = std::move(read),
                               filter = std::move(filter),
                               key](std::function<void(http::BlockingResult)> done) {
    service.read(consistency, [&service, read, filter, key, done = std::move(done)](Status st) {
      if (!st.is_ok()) return done({text_error(st), 0, true});
      if (const auto* hit = service.cached_read(key)) {
        auto response = http::HttpResponse::text(hit->body, 200, "application/json");
        http::set_consul_headers(response, hit->index, service.leader_view());
        return done({std::move(response), hit->index, false});
      }
      auto out = read(service.state());
      if (!out) {
        auto response = text_error(out.status());
        const std::uint64_t index = service.state().catalog().index("catalog");
        http::set_consul_headers(response, index, service.leader_view());
        return done({std::move(response), index, out.status().code() != StatusCode::kNotFound});
      }
      if (filter) http::filter_json(*filter, out->body);
      auto response = json_response(out->body);
      service.cache_read(key, {response.body, out->index});
      http::set_consul_headers(response, out->index, service.leader_view());
      done({std::move(response), out->index, false});
    });
  };
  http::serve_blocking(hub, std::move(resources), *options, std::move(query), std::move(respond),
                       request.client_gone);
}

void serve_write(RegistryService& service, proto::Command command, http::Responder respond,
                 std::function<http::HttpResponse(const consensus::state::ApplyResult&)> on_ok) {
  service.write(std::move(command),
                [&service, respond = std::move(respond),
                 on_ok = std::move(on_ok)](Result<consensus::state::ApplyResult> r) {
                  Status st = r.is_ok() ? r->status : r.status();
                  if (!st.is_ok()) {
                    auto response = text_error(st);
                    http::set_consul_headers(response, 0, service.leader_view());
                    return respond(std::move(response));
                  }
                  respond(on_ok(*r));
                });
}

}  // namespace synod::node::registry
