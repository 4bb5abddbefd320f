#include "node/transport/secure_setup.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace synod::node::transport {

Result<std::optional<crypto::Key32>> configured_cluster_key(
    const config::CryptoSection& crypto) {
  if (!crypto.cluster_key.empty()) {
    SYNOD_ASSIGN_OR_RETURN(crypto::Key32 key,
                           crypto::key_from_base64(crypto.cluster_key, "crypto.cluster_key"));
    return std::optional<crypto::Key32>(key);
  }
  if (!crypto.cluster_key_file.empty()) {
    auto text = crypto::read_file(crypto.cluster_key_file);
    if (!text.is_ok()) {
      return text.status().with_context("crypto.cluster_key_file");
    }
    auto key = crypto::key_from_base64(*text, "crypto.cluster_key_file " + crypto.cluster_key_file);
    crypto::wipe(*text);
    if (!key.is_ok()) return key.status();
    return std::optional<crypto::Key32>(*key);
  }
  return std::optional<crypto::Key32>();
}

Result<CryptoRuntime> setup_crypto(const config::NodeConfig& config) {
  CryptoRuntime runtime;
  if (!config.crypto.enabled) return runtime;
  const config::CryptoSection& c = config.crypto;
  SYNOD_ASSIGN_OR_RETURN(crypto::Cipher cipher, crypto::cipher_from_name(c.cipher));

  const std::string key_path = crypto::node_key_path(config.node.data_dir, c.node_key_file);
  bool created = false;
  auto node_key = crypto::load_or_create_node_key(key_path, &created);
  if (!node_key.is_ok()) return node_key.status().with_context("crypto.node_key_file");
  if (created) spdlog::info("created node key {} (public {})", key_path, node_key->public_base64());
  runtime.node_key = std::make_shared<const crypto::NodeKey>(*node_key);

  // The persisted keyring (what consensus last told this node) comes first,
  // so a restarted node connects before it has caught up; the configured
  // key is always accepted too.
  runtime.keyring_path = crypto::keyring_path(config.node.data_dir);
  crypto::Keyring ring;
  if (std::filesystem::exists(runtime.keyring_path)) {
    SYNOD_ASSIGN_OR_RETURN(ring, crypto::load_keyring(runtime.keyring_path));
  }
  SYNOD_ASSIGN_OR_RETURN(std::optional<crypto::Key32> configured, configured_cluster_key(c));
  if (configured) ring.install(*configured);
  if (ring.empty()) {
    return failed_precondition(
        "crypto.enabled is true but there is no cluster key: set crypto.cluster_key or "
        "crypto.cluster_key_file (make a key with `synod keys gen`), install one into the data "
        "dir with `synod keys install KEY --data-dir DIR`, or set crypto.enabled: false");
  }
  SYNOD_RETURN_IF_ERROR(crypto::save_keyring(runtime.keyring_path, ring));
  runtime.keyring = std::make_shared<crypto::KeyringStore>(std::move(ring));
  runtime.keyring->follow_file(runtime.keyring_path);

  SecureChannelSettings settings;
  settings.node_key = runtime.node_key;
  settings.keyring = runtime.keyring;
  settings.cipher = cipher;
  for (const std::string& peer : c.allowed_peers) {
    SYNOD_ASSIGN_OR_RETURN(crypto::Key32 key,
                           crypto::key_from_base64(peer, "crypto.allowed_peers entry"));
    settings.allowed_peers.push_back(key);
  }
  compression::CompressorOptions copts;
  SYNOD_ASSIGN_OR_RETURN(copts.codec, compression::codec_id_from_name(config.compression.codec));
  copts.min_bytes = config.compression.min_bytes;
  copts.zstd_level = config.compression.zstd_level;
  copts.adaptive = config.compression.adaptive;
  copts.max_decompressed_bytes = config.compression.max_decompressed_bytes;
  settings.compressor = std::make_shared<compression::Compressor>(copts);
  settings.channel.rekey_interval = c.rekey_interval;
  settings.channel.rekey_bytes = c.rekey_bytes;
  settings.channel.rekey_grace = c.rekey_grace;
  runtime.factory = std::make_shared<SecureHandshakeFactory>(std::move(settings));
  return runtime;
}

}  // namespace synod::node::transport
