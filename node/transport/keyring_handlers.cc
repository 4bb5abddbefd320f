#include "node/transport/keyring_handlers.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace synod::node::transport {
namespace {

http::HttpResponse list(const crypto::Keyring& ring, const std::string& datacenter) {
  nlohmann::json keys = nlohmann::json::object(), primary = nlohmann::json::object();
  for (const auto& k : ring.keys()) keys[crypto::base64_encode(k.view())] = 1;
  if (!ring.empty()) primary[crypto::base64_encode(ring.primary().view())] = 1;
  return http::HttpResponse::json(nlohmann::json::array({{{"WAN", false},
                                                          {"Datacenter", datacenter},
                                                          {"Segment", ""},
                                                          {"Keys", keys},
                                                          {"PrimaryKeys", primary},
                                                          {"NumNodes", 1}}}));
}

}  // namespace

void register_keyring_routes(http::Router& router, std::shared_ptr<crypto::KeyringStore> keyring,
                             std::string keyring_path, std::string datacenter) {
  auto handler = [keyring, keyring_path, datacenter](http::HttpRequest request,
                                                      http::Responder respond) {
    if (!keyring) {
      return respond(http::HttpResponse::error(400, "crypto is disabled on this node "
                                                    "(crypto.enabled: false)"));
    }
    if (request.method == "GET") return respond(list(*keyring->snapshot(), datacenter));
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("Key") ||
        !body["Key"].is_string()) {
      return respond(http::HttpResponse::error(400, "body must be JSON {\"Key\": \"<base64>\"}"));
    }
    auto key = crypto::key_from_base64(body["Key"].get<std::string>(), "Key");
    if (!key.is_ok()) return respond(http::HttpResponse::from_status(key.status()));
    crypto::Keyring ring = *keyring->snapshot();
    Status status;
    const char* verb = "install";
    if (request.method == "POST") {
      ring.install(*key);
    } else if (request.method == "PUT") {
      verb = "use";
      status = ring.use(*key);
    } else {
      verb = "remove";
      status = ring.remove(*key);
    }
    if (status.is_ok()) status = crypto::save_keyring(keyring_path, ring);
    if (!status.is_ok()) return respond(http::HttpResponse::from_status(status));
    keyring->replace(std::move(ring));
    spdlog::info("crypto: keyring {} via HTTP ({} keys)", verb,
                 keyring->snapshot()->keys().size());
    respond(http::HttpResponse::json(nlohmann::json(true)));
  };
  router.add({"GET", "POST", "PUT", "DELETE"}, "/v1/operator/keyring", handler);
}

}  // namespace synod::node::transport
