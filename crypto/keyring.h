// The cluster keyring: the shared 32-byte cluster keys a node accepts, one of
// them the primary it initiates handshakes with (Consul's keyring model).
// A key is named on the wire by its 8-byte id, a keyed BLAKE2b hash that
// reveals nothing about the key.
//
// Keyring is a plain value. KeyringStore holds the node's current keyring
// behind a mutex so the HTTP handler, the replicated-state apply path and the
// handshake factory can share it; readers take an immutable snapshot.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/sodium.h"

namespace synod::crypto {

using KeyId = std::array<unsigned char, 8>;
KeyId key_id(const Key32& key);
// A key from its 32 raw bytes (the replicated keyring table's form);
// kInvalidArgument naming `what` otherwise.
Result<Key32> key_from_bytes(ByteView raw, std::string_view what);

class Keyring {
 public:
  Keyring() = default;
  explicit Keyring(const Key32& primary) { keys_.push_back(primary); }

  [[nodiscard]] bool empty() const { return keys_.empty(); }
  [[nodiscard]] const std::vector<Key32>& keys() const { return keys_; }
  // Requires !empty().
  [[nodiscard]] const Key32& primary() const { return keys_[primary_]; }
  [[nodiscard]] const Key32* find(const KeyId& id) const;
  [[nodiscard]] bool contains(const Key32& key) const;
  // Same keys in the same order and the same primary (constant-time compares).
  [[nodiscard]] bool same_as(const Keyring& other) const;

  // Adds a key (no-op if present); the first key becomes primary.
  void install(const Key32& key);
  // Makes an installed key primary; kNotFound otherwise.
  Status use(const Key32& key);
  // Removes a key; the primary cannot be removed (kFailedPrecondition).
  Status remove(const Key32& key);

  // JSON {"primary": "<b64>", "keys": ["<b64>", ...]}; a secret, write 0600.
  [[nodiscard]] std::string to_json() const;
  static Result<Keyring> from_json(std::string_view text, std::string_view what);

 private:
  std::vector<Key32> keys_;
  std::size_t primary_ = 0;
};

// "<data_dir>/keyring.json".
std::string keyring_path(const std::string& data_dir);
Status save_keyring(const std::string& path, const Keyring& keyring);
// kNotFound when the file does not exist.
Result<Keyring> load_keyring(const std::string& path);

class KeyringStore {
 public:
  explicit KeyringStore(Keyring initial = {})
      : current_(std::make_shared<const Keyring>(std::move(initial))) {}
  [[nodiscard]] std::shared_ptr<const Keyring> snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  void replace(Keyring keyring) {
    auto next = std::make_shared<const Keyring>(std::move(keyring));
    std::lock_guard lock(mu_);
    current_ = std::move(next);
  }
  // Writes `keyring` to the followed file (0600; the replicated keyring's
  // apply path) and then makes it current; the file's new modification time
  // is remembered so reload_if_changed() does not read it back. Without a
  // followed file it only replaces. On a write error nothing changes.
  Status save_and_replace(Keyring keyring);

  // Follows a keyring file (the node's <data_dir>/keyring.json, which the
  // replicated keyring rewrites and `synod keys ... --data-dir` edits
  // offline): reload_if_changed() re-reads it when its modification time
  // moved, at most once per `min_interval`.
  void follow_file(std::string path);
  // True when the keyring changed. A missing, unreadable or empty file keeps
  // the current keyring and returns the error (it never names a key).
  Result<bool> reload_if_changed(std::chrono::milliseconds min_interval = {});

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Keyring> current_;
  std::string path_;                                    // under mu_
  std::filesystem::file_time_type mtime_{};             // under mu_
  std::chrono::steady_clock::time_point last_check_{};  // under mu_
};

}  // namespace synod::crypto
