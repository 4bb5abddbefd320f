#include "crypto/backup.h"

#include <sodium.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace synod::crypto {
namespace {

const unsigned char* u(ByteView v) { return reinterpret_cast<const unsigned char*>(v.data()); }

std::string plaintext(const BackupContents& contents) {
  nlohmann::json j;
  j["keyring"] = nlohmann::json::parse(contents.keyring.to_json());
  if (contents.node_key) j["node_key"] = base64_encode(contents.node_key->secret_key.view());
  return j.dump();
}

Result<BackupContents> parse_plaintext(const Bytes& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("keyring")) {
    return corruption("backup contents are damaged");
  }
  BackupContents contents;
  SYNOD_ASSIGN_OR_RETURN(contents.keyring, Keyring::from_json(j["keyring"].dump(), "backup"));
  if (j.contains("node_key") && j["node_key"].is_string()) {
    SYNOD_ASSIGN_OR_RETURN(Key32 secret,
                           key_from_base64(j["node_key"].get<std::string>(), "backup node key"));
    contents.node_key = NodeKey::from_secret(secret);
  }
  return contents;
}

std::string seal_with(const BackupContents& contents, const Key32& key, nlohmann::json header) {
  std::string text = plaintext(contents);
  unsigned char nonce[crypto_secretbox_NONCEBYTES];
  random_fill(nonce, sizeof(nonce));
  Bytes box(text.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()), u(text), text.size(), nonce,
                        key.data());
  wipe(text);
  header["version"] = 1;
  header["nonce"] = base64_encode(ByteView(reinterpret_cast<const char*>(nonce), sizeof(nonce)));
  header["box"] = base64_encode(box);
  return header.dump(2) + "\n";
}

Result<BackupContents> open_with(const nlohmann::json& j, const Key32& key) {
  SYNOD_ASSIGN_OR_RETURN(Bytes nonce, base64_decode(j.value("nonce", ""), "backup nonce"));
  SYNOD_ASSIGN_OR_RETURN(Bytes box, base64_decode(j.value("box", ""), "backup box"));
  if (nonce.size() != crypto_secretbox_NONCEBYTES || box.size() < crypto_secretbox_MACBYTES) {
    return corruption("backup file is damaged");
  }
  Bytes text(box.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(text.data()), u(box),
                                 box.size(), u(nonce), key.data()) != 0) {
    return permission_denied("cannot open the backup: wrong passphrase or shares, or a damaged file");
  }
  auto contents = parse_plaintext(text);
  wipe(text);
  return contents;
}

Result<nlohmann::json> parse_file(std::string_view file_text, std::string_view kdf) {
  auto j = nlohmann::json::parse(file_text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1) {
    return invalid_argument("not a synod key backup file");
  }
  if (j.value("kdf", "") != kdf) {
    return invalid_argument(std::string("this backup is sealed with '") + j.value("kdf", "?") +
                            "', restore it with " +
                            (kdf == "shamir" ? "a passphrase" : "its share files (--share)"));
  }
  return j;
}

}  // namespace

PwhashLimits moderate_pwhash_limits() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
PwhashLimits interactive_pwhash_limits() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

namespace {
Result<Key32> derive_backup_key(std::string_view passphrase, ByteView salt,
                                PwhashLimits limits) {
  if (passphrase.empty()) return invalid_argument("the backup passphrase is empty");
  Key32 key;
  if (crypto_pwhash(key.data(), kKeyBytes, passphrase.data(), passphrase.size(), u(salt),
                    limits.opslimit, limits.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return resource_exhausted("Argon2id ran out of memory deriving the backup key");
  }
  return key;
}
}  // namespace

Result<std::string> seal_backup(const BackupContents& contents, std::string_view passphrase,
                                PwhashLimits limits) {
  ensure_sodium();
  unsigned char salt[crypto_pwhash_SALTBYTES];
  random_fill(salt, sizeof(salt));
  const ByteView salt_view(reinterpret_cast<const char*>(salt), sizeof(salt));
  SYNOD_ASSIGN_OR_RETURN(Key32 key, derive_backup_key(passphrase, salt_view, limits));
  nlohmann::json header = {{"kdf", "argon2id13"},
                           {"salt", base64_encode(salt_view)},
                           {"opslimit", limits.opslimit},
                           {"memlimit", limits.memlimit}};
  return seal_with(contents, key, header);
}

Result<std::string> seal_backup_shared(const BackupContents& contents, int shares, int threshold,
                                       std::vector<Share>* out_shares) {
  ensure_sodium();
  const Key32 key = random_key();
  SYNOD_ASSIGN_OR_RETURN(*out_shares, split_secret(key.view(), shares, threshold));
  return seal_with(contents, key, {{"kdf", "shamir"}, {"threshold", threshold}});
}

Result<BackupContents> open_backup(std::string_view file_text, std::string_view passphrase) {
  ensure_sodium();
  SYNOD_ASSIGN_OR_RETURN(nlohmann::json j, parse_file(file_text, "argon2id13"));
  SYNOD_ASSIGN_OR_RETURN(Bytes salt, base64_decode(j.value("salt", ""), "backup salt"));
  if (salt.size() != crypto_pwhash_SALTBYTES) return corruption("backup file is damaged");
  const PwhashLimits limits{j.value("opslimit", 0ull), j.value("memlimit", std::size_t{0})};
  if (limits.opslimit < crypto_pwhash_OPSLIMIT_MIN || limits.opslimit > (1ull << 20) ||
      limits.memlimit < crypto_pwhash_MEMLIMIT_MIN || limits.memlimit > (std::size_t{4} << 30)) {
    return corruption("backup file names unreasonable Argon2id limits");
  }
  SYNOD_ASSIGN_OR_RETURN(Key32 key, derive_backup_key(passphrase, salt, limits));
  return open_with(j, key);
}

Result<BackupContents> open_backup_shared(std::string_view file_text,
                                          const std::vector<Share>& shares) {
  ensure_sodium();
  SYNOD_ASSIGN_OR_RETURN(nlohmann::json j, parse_file(file_text, "shamir"));
  SYNOD_ASSIGN_OR_RETURN(Bytes secret, combine_shares(shares));
  if (secret.size() != kKeyBytes) {
    wipe(secret);
    return permission_denied("the shares do not belong to this backup");
  }
  Key32 key;
  std::memcpy(key.data(), secret.data(), kKeyBytes);
  wipe(secret);
  return open_with(j, key);
}

}  // namespace synod::crypto
