#include "node/http/kv_handlers.h"

#include <set>

#include "node/http/base64.h"
#include "node/http/blocking.h"
#include "node/http/consul.h"
#include "node/http/kv_json.h"

namespace synod::node::http {
namespace {

using nlohmann::ordered_json;

HttpResponse bool_response(bool value) {
  return HttpResponse::text(value ? "true" : "false", 200, "application/json");
}

// Consul answers a missing key with 404 and an empty body (clients test the
// status), plus the usual index headers so they can block on its creation.
HttpResponse not_found_response() { return HttpResponse::text("", 404, ""); }

void get_handler(KvBackend& backend, WatchHub& hub, HttpRequest req, Responder respond) {
  auto options = parse_query_options(req);
  if (!options) return respond(HttpResponse::from_status(options.status()));
  std::string key = req.param("key");
  bool keys_mode = req.has_query("keys");
  bool recurse = keys_mode || req.has_query("recurse");
  bool raw = req.has_query("raw");
  std::string separator = req.query_value("separator").value_or("");
  KvReadOptions read_options{recurse, options->consistency};

  std::vector<std::string> resources{recurse ? kv_prefix_resource(key) : kv_key_resource(key)};
  BlockingQuery query = [&backend, key, read_options, keys_mode, raw,
                         separator](std::function<void(BlockingResult)> done) {
    backend.get(key, read_options, [=, done = std::move(done)](Result<KvReadResult> result) {
      if (!result) return done({HttpResponse::from_status(result.status()), 0, true});
      const KvReadResult& read = *result;
      HttpResponse response;
      if (keys_mode) {
        auto keys = fold_keys(read.entries, key, separator);
        response = keys.empty() ? not_found_response() : ordered_json_response(ordered_json(keys));
      } else if (read.entries.empty()) {
        response = not_found_response();
      } else if (raw && !read_options.recurse) {
        response = HttpResponse::text(read.entries.front().value, 200, "text/plain; charset=utf-8");
        response.set_header("X-Content-Type-Options", "nosniff");
      } else {
        ordered_json list = ordered_json::array();
        for (const auto& e : read.entries) list.push_back(kv_entry_json(e, true));
        response = ordered_json_response(list);
      }
      set_consul_headers(response, read.index, read.leader);
      done({std::move(response), read.index, false});
    });
  };
  serve_blocking(hub, std::move(resources), *options, std::move(query), std::move(respond),
                 req.client_gone);
}

void put_handler(KvBackend& backend, const KvHandlerOptions& limits, HttpRequest req,
                 Responder respond) {
  KvPut put;
  put.key = req.param("key");
  if (put.key.empty()) return respond(HttpResponse::error(400, "Missing key name"));
  if (req.body.size() > limits.max_value_bytes) {
    return respond(HttpResponse::error(413, "Request body(" + std::to_string(req.body.size()) +
                                                " bytes) too large, max size: " +
                                                std::to_string(limits.max_value_bytes) + " bytes"));
  }
  auto flags = optional_u64_param(req, "flags");
  if (!flags) return respond(HttpResponse::from_status(flags.status()));
  auto cas = optional_u64_param(req, "cas");
  if (!cas) return respond(HttpResponse::from_status(cas.status()));
  put.flags = flags->value_or(0);
  put.cas = *cas;
  put.acquire = req.query_value("acquire");
  put.release = req.query_value("release");
  if (put.acquire && put.release) {
    return respond(HttpResponse::error(400, "Conflicting flags: ?acquire and ?release"));
  }
  if ((put.acquire && put.acquire->empty()) || (put.release && put.release->empty())) {
    return respond(HttpResponse::error(400, "Missing session ID for ?acquire or ?release"));
  }
  put.value = std::move(req.body);
  backend.put(std::move(put), [respond = std::move(respond)](Result<bool> result) {
    respond(result ? bool_response(*result) : HttpResponse::from_status(result.status()));
  });
}

void delete_handler(KvBackend& backend, HttpRequest req, Responder respond) {
  KvDelete del;
  del.key = req.param("key");
  del.recurse = req.has_query("recurse");
  if (del.key.empty() && !del.recurse) return respond(HttpResponse::error(400, "Missing key name"));
  auto cas = optional_u64_param(req, "cas");
  if (!cas) return respond(HttpResponse::from_status(cas.status()));
  del.cas = *cas;
  if (del.cas && del.recurse) {
    return respond(HttpResponse::error(400, "Conflicting flags: ?cas and ?recurse"));
  }
  backend.del(std::move(del), [respond = std::move(respond)](Result<bool> result) {
    respond(result ? bool_response(*result) : HttpResponse::from_status(result.status()));
  });
}

}  // namespace

// Defined in txn_handler.cc.
void txn_handler(KvBackend& backend, const KvHandlerOptions& limits, HttpRequest req,
                 Responder respond);

ordered_json kv_entry_json(const KvEntry& entry, bool with_value) {
  ordered_json j;
  j["LockIndex"] = entry.lock_index;
  j["Key"] = entry.key;
  j["Flags"] = entry.flags;
  if (with_value && !entry.value.empty()) {
    j["Value"] = base64_encode(entry.value);
  } else {
    j["Value"] = nullptr;
  }
  if (!entry.session.empty()) j["Session"] = entry.session;
  j["CreateIndex"] = entry.create_index;
  j["ModifyIndex"] = entry.modify_index;
  return j;
}

HttpResponse ordered_json_response(const ordered_json& body, int status) {
  return HttpResponse::text(body.dump(-1, ' ', false, ordered_json::error_handler_t::replace),
                            status, "application/json");
}

std::string kv_key_resource(std::string_view key) { return "kv:" + std::string(key); }
std::string kv_prefix_resource(std::string_view prefix) {
  return "kv-prefix:" + std::string(prefix);
}

void notify_kv_change(WatchHub& hub, std::string_view key, std::uint64_t index) {
  hub.notify(kv_key_resource(key), index);
  hub.notify_prefixes("kv-prefix:", key, index);
}

std::vector<std::string> fold_keys(const std::vector<KvEntry>& entries, std::string_view prefix,
                                   std::string_view separator) {
  std::set<std::string> out;
  for (const auto& e : entries) {
    std::string_view key = e.key;
    if (key.substr(0, prefix.size()) != prefix) continue;
    if (!separator.empty()) {
      std::size_t at = key.find(separator, prefix.size());
      if (at != std::string_view::npos) key = key.substr(0, at + separator.size());
    }
    out.emplace(key);
  }
  return {out.begin(), out.end()};
}

void register_kv_routes(Router& router, KvBackend& backend, WatchHub& hub,
                        KvHandlerOptions options) {
  router.add("GET", "/v1/kv/*key", [&backend, &hub](HttpRequest req, Responder respond) {
    get_handler(backend, hub, std::move(req), std::move(respond));
  });
  router.add("PUT", "/v1/kv/*key", [&backend, options](HttpRequest req, Responder respond) {
    put_handler(backend, options, std::move(req), std::move(respond));
  });
  router.add("DELETE", "/v1/kv/*key", [&backend](HttpRequest req, Responder respond) {
    delete_handler(backend, std::move(req), std::move(respond));
  });
  router.add("PUT", "/v1/txn", [&backend, options](HttpRequest req, Responder respond) {
    txn_handler(backend, options, std::move(req), std::move(respond));
  });
}

}  // namespace synod::node::http
