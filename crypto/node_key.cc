#include "crypto/node_key.h"

#include <sodium.h>

#include <filesystem>

namespace synod::crypto {

NodeKey NodeKey::generate() { return from_secret(random_key()); }

NodeKey NodeKey::from_secret(const Key32& secret) {
  ensure_sodium();
  NodeKey key;
  key.secret_key = secret;
  crypto_scalarmult_base(key.public_key.data(), key.secret_key.data());
  return key;
}

std::string node_key_path(const std::string& data_dir, const std::string& configured) {
  if (!configured.empty()) return configured;
  return data_dir + "/node.key";
}

Result<NodeKey> load_node_key(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(Bytes text, read_file(path));
  auto secret = key_from_base64(text, "node key file " + path);
  wipe(text);
  if (!secret.is_ok()) return secret.status();
  return NodeKey::from_secret(*secret);
}

Status save_node_key(const std::string& path, const NodeKey& key) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::string text = base64_encode(key.secret_key.view()) + "\n";
  Status status = write_secret_file(path, text);
  wipe(text);
  return status;
}

Result<NodeKey> load_or_create_node_key(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  if (std::filesystem::exists(path)) return load_node_key(path);
  NodeKey key = NodeKey::generate();
  SYNOD_RETURN_IF_ERROR(save_node_key(path, key));
  if (created != nullptr) *created = true;
  return key;
}

}  // namespace synod::crypto
