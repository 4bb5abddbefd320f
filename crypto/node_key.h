// A node's static X25519 identity key pair. The secret lives in a file of
// its own (mode 0600, base64 of the 32-byte secret key); the public key is
// derived from it and is what crypto.allowed_peers lists.
#pragma once

#include <string>

#include "common/status.h"
#include "crypto/sodium.h"

namespace synod::crypto {

struct NodeKey {
  Key32 public_key;
  Key32 secret_key;

  static NodeKey generate();
  // Derives the public half; used by load and by seeded tests.
  static NodeKey from_secret(const Key32& secret);
  [[nodiscard]] std::string public_base64() const { return base64_encode(public_key.view()); }
};

// "<data_dir>/node.key" unless crypto.node_key_file names another file.
std::string node_key_path(const std::string& data_dir, const std::string& configured);

Result<NodeKey> load_node_key(const std::string& path);
Status save_node_key(const std::string& path, const NodeKey& key);
// Loads the key, or creates and saves a new one if the file does not exist.
Result<NodeKey> load_or_create_node_key(const std::string& path, bool* created = nullptr);

}  // namespace synod::crypto
