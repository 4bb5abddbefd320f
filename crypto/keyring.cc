#include "crypto/keyring.h"

#include <sodium.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace synod::crypto {

KeyId key_id(const Key32& key) {
  ensure_sodium();
  static constexpr std::string_view kLabel = "synod-cluster-key-id";
  KeyId id{};
  crypto_generichash(id.data(), id.size(), reinterpret_cast<const unsigned char*>(kLabel.data()),
                     kLabel.size(), key.data(), kKeyBytes);
  return id;
}

Result<Key32> key_from_bytes(ByteView raw, std::string_view what) {
  if (raw.size() != kKeyBytes) {
    return invalid_argument(std::string(what) + " must be " + std::to_string(kKeyBytes) +
                            " bytes, got " + std::to_string(raw.size()));
  }
  Key32 key;
  std::memcpy(key.data(), raw.data(), kKeyBytes);
  return key;
}

bool Keyring::same_as(const Keyring& other) const {
  if (keys_.size() != other.keys_.size()) return false;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].equals(other.keys_[i])) return false;
  }
  return empty() || primary_ == other.primary_;
}

const Key32* Keyring::find(const KeyId& id) const {
  for (const Key32& key : keys_) {
    if (key_id(key) == id) return &key;
  }
  return nullptr;
}

bool Keyring::contains(const Key32& key) const {
  for (const Key32& k : keys_) {
    if (k.equals(key)) return true;
  }
  return false;
}

void Keyring::install(const Key32& key) {
  if (!contains(key)) keys_.push_back(key);
}

Status Keyring::use(const Key32& key) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].equals(key)) {
      primary_ = i;
      return Status::ok();
    }
  }
  return not_found("key is not installed; install it first");
}

Status Keyring::remove(const Key32& key) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (!keys_[i].equals(key)) continue;
    if (i == primary_) {
      return failed_precondition("cannot remove the primary key; make another key primary first");
    }
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
    if (primary_ > i) --primary_;
    return Status::ok();
  }
  return not_found("key is not installed");
}

std::string Keyring::to_json() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const Key32& key : keys_) keys.push_back(base64_encode(key.view()));
  nlohmann::json j = {{"keys", keys}};
  j["primary"] = empty() ? "" : base64_encode(primary().view());
  return j.dump(2) + "\n";
}

Result<Keyring> Keyring::from_json(std::string_view text, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    return invalid_argument(std::string(what) + " is not a keyring (JSON with \"keys\")");
  }
  Keyring ring;
  for (const auto& k : j["keys"]) {
    if (!k.is_string()) return invalid_argument(std::string(what) + ": a key is not a string");
    SYNOD_ASSIGN_OR_RETURN(Key32 key, key_from_base64(k.get<std::string>(), what));
    ring.install(key);
  }
  if (j.contains("primary") && j["primary"].is_string() &&
      !j["primary"].get<std::string>().empty()) {
    SYNOD_ASSIGN_OR_RETURN(Key32 primary, key_from_base64(j["primary"].get<std::string>(), what));
    ring.install(primary);
    SYNOD_RETURN_IF_ERROR(ring.use(primary));
  }
  return ring;
}

std::string keyring_path(const std::string& data_dir) { return data_dir + "/keyring.json"; }

Status save_keyring(const std::string& path, const Keyring& keyring) {
  std::string text = keyring.to_json();
  Status status = write_secret_file(path, text);
  wipe(text);
  return status;
}

Result<Keyring> load_keyring(const std::string& path) {
  SYNOD_ASSIGN_OR_RETURN(Bytes text, read_file(path));
  auto ring = Keyring::from_json(text, "keyring file " + path);
  wipe(text);
  return ring;
}

void KeyringStore::follow_file(std::string path) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  std::lock_guard lock(mu_);
  path_ = std::move(path);
  if (!ec) mtime_ = mtime;
}

Status KeyringStore::save_and_replace(Keyring keyring) {
  std::string path;
  {
    std::lock_guard lock(mu_);
    path = path_;
  }
  std::error_code ec;
  std::filesystem::file_time_type mtime{};
  if (!path.empty()) {
    SYNOD_RETURN_IF_ERROR(save_keyring(path, keyring));
    mtime = std::filesystem::last_write_time(path, ec);
  }
  auto next = std::make_shared<const Keyring>(std::move(keyring));
  std::lock_guard lock(mu_);
  if (!path.empty() && !ec) mtime_ = mtime;
  current_ = std::move(next);
  return Status::ok();
}

Result<bool> KeyringStore::reload_if_changed(std::chrono::milliseconds min_interval) {
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (path_.empty()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (min_interval.count() > 0 && now - last_check_ < min_interval) return false;
    last_check_ = now;
    path = path_;
  }
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return not_found("keyring file " + path + " is gone");
  {
    std::lock_guard lock(mu_);
    if (mtime == mtime_) return false;
  }
  SYNOD_ASSIGN_OR_RETURN(Keyring ring, load_keyring(path));
  if (ring.empty()) return failed_precondition("keyring file " + path + " holds no key; ignored");
  auto next = std::make_shared<const Keyring>(std::move(ring));
  std::lock_guard lock(mu_);
  mtime_ = mtime;
  current_ = std::move(next);
  return true;
}

}  // namespace synod::crypto
