// Builds the secure channel from a node's config: loads (or creates) the
// node key, assembles the keyring from the persisted copy and the configured
// cluster key, parses cipher and compression settings. Errors name the key
// to fix and never contain key material.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "config/node_config.h"
#include "crypto/keyring.h"
#include "crypto/node_key.h"
#include "node/transport/handshake.h"
#include "node/transport/secure_channel.h"

namespace synod::node::transport {

struct CryptoRuntime {
  // Null when crypto.enabled is false (the plain Hello handshake is used).
  std::shared_ptr<SecureHandshakeFactory> factory;
  std::shared_ptr<crypto::KeyringStore> keyring;
  std::shared_ptr<const crypto::NodeKey> node_key;
  std::string keyring_path;  // <data_dir>/keyring.json
};

// Reads crypto.cluster_key / crypto.cluster_key_file; an empty result when
// neither is set.
Result<std::optional<crypto::Key32>> configured_cluster_key(const config::CryptoSection& crypto);

Result<CryptoRuntime> setup_crypto(const config::NodeConfig& config);

}  // namespace synod::node::transport
