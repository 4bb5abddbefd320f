// Key backup: the keyring and the node key sealed into one file.
//
// The contents (JSON {"keyring": ..., "node_key": base64}) are sealed with
// crypto_secretbox (XSalsa20-Poly1305) under a 32-byte backup key. The
// backup key is either derived from a passphrase with crypto_pwhash
// (Argon2id, a fresh salt, "moderate" limits) or, for a shared backup, drawn
// at random and split into Shamir shares (shamir.h) so that any K of N
// share holders together can restore it. The file format is JSON
// {"version": 1, "kdf": "argon2id13" | "shamir", "salt", "opslimit",
// "memlimit", "nonce", "box"} with base64 byte fields.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/keyring.h"
#include "crypto/node_key.h"
#include "crypto/shamir.h"

namespace synod::crypto {

struct BackupContents {
  Keyring keyring;
  std::optional<NodeKey> node_key;
};

struct PwhashLimits {
  unsigned long long opslimit;
  std::size_t memlimit;
};
// crypto_pwhash's "moderate" limits; tests pass the interactive minimum.
PwhashLimits moderate_pwhash_limits();
PwhashLimits interactive_pwhash_limits();

// A passphrase-sealed backup file's text.
Result<std::string> seal_backup(const BackupContents& contents, std::string_view passphrase,
                                PwhashLimits limits = moderate_pwhash_limits());
// A backup sealed under a random key, split into `shares` shares of which
// `threshold` restore it; returns the file text and fills *out_shares.
Result<std::string> seal_backup_shared(const BackupContents& contents, int shares, int threshold,
                                       std::vector<Share>* out_shares);

// kPermissionDenied for a wrong passphrase, wrong shares or a damaged file
// (the message never contains key material).
Result<BackupContents> open_backup(std::string_view file_text, std::string_view passphrase);
Result<BackupContents> open_backup_shared(std::string_view file_text,
                                          const std::vector<Share>& shares);

}  // namespace synod::crypto
