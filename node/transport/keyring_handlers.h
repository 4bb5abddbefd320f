// /v1/operator/keyring in Consul's shape, for this node's keyring
// (docs/crypto.md): GET lists, POST installs, PUT makes primary, DELETE
// removes; bodies are {"Key": "<base64>"}. Changes are written to the node's
// keyring.json (0600) and apply to the next handshake. The keyring is per
// node: call every node (or use `synod keys` on each data dir).
#pragma once

#include <memory>
#include <string>

#include "crypto/keyring.h"
#include "node/http/router.h"

namespace synod::node::transport {

// `keyring` null (crypto.enabled=false): every call answers 400 saying so.
void register_keyring_routes(http::Router& router, std::shared_ptr<crypto::KeyringStore> keyring,
                             std::string keyring_path, std::string datacenter);

}  // namespace synod::node::transport
