// KeyringTable: the replicated cluster keyring (Consul's keyring model,
// docs/crypto.md): the 32-byte cluster keys every node accepts in
// handshakes, in install order, and the one primary that nodes initiate with.
//
// Rules (Consul's): install adds a key (installing an installed key changes
// nothing; the first key of an empty keyring becomes primary); use makes an
// installed key primary (error if it is not installed); remove refuses the
// primary and unknown keys. Seed fills an empty keyring at once (primary plus
// others) and is a no-op (ok = false) on a non-empty one: it is how a leader
// migrates its node-local keyring into the table exactly once.
//
// Records: kMeta "keyring/state" (the whole keyring, encoding in the .cc;
// a keyring is a handful of keys) and "keyring/index/keyring" (the modify
// index of resource "keyring", for blocking queries). The values hold the
// secret keys: like the log entries that carry them, they are as sensitive
// as the keyring file (docs/crypto.md).
//
// Error messages never contain key material. Threading: as StateStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/resource_indexes.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

inline constexpr std::size_t kClusterKeyBytes = 32;
// The most keys the table holds (a rotation needs two; Consul has no limit
// but a keyring of hundreds of keys is a mistake, and every handshake tries
// them all).
inline constexpr std::size_t kMaxClusterKeys = 32;
// The blocking-query resource whose index moves on every keyring change.
inline constexpr std::string_view kKeyringResource = "keyring";

// Checks a KeyringOp's shape (verb known, keys 32 bytes, others only with
// seed, at most kMaxClusterKeys keys). Messages never quote a key.
Status validate_keyring_op(const proto::KeyringOp& op);

// Builders (HTTP handlers, bootstrap, tests).
proto::Command make_keyring_command(proto::KeyringVerb verb, std::string_view key);
proto::Command make_keyring_seed_command(std::string_view primary,
                                         const std::vector<std::string>& others);

class KeyringTable final : public StateTable {
 public:
  KeyringTable();

  // ---- Reads ----
  [[nodiscard]] bool empty() const { return keys_.empty(); }
  // Raw 32-byte keys in install order.
  [[nodiscard]] const std::vector<std::string>& keys() const { return keys_; }
  // The primary key; requires !empty().
  [[nodiscard]] const std::string& primary() const { return keys_[primary_]; }
  [[nodiscard]] bool contains(std::string_view key) const;
  // X-Consul-Index of the keyring (never 0).
  [[nodiscard]] std::uint64_t index() const;

  // ---- Writes (StateStore::apply only) ----
  // Applies one validated op at log index `index`. Ok(true): applied (or
  // already so); Ok(false): a seed on a non-empty keyring; error statuses
  // (InvalidArgument / FailedPrecondition / NotFound) change nothing.
  Result<bool> apply(const proto::KeyringOp& op, std::uint64_t index, ChangeSet& changes);

  // ---- StateTable ----
  [[nodiscard]] std::string_view owner() const override { return "keyring"; }
  [[nodiscard]] bool owns(RecordTable) const override { return false; }  // kMeta only
  void emit_records(const RecordSink& sink) const override;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const override;
  Status load_record(RecordTable table, std::string_view key, ByteView value) override;
  void clear() override;

 private:
  [[nodiscard]] std::optional<std::size_t> position(std::string_view key) const;
  void changed(std::uint64_t index, ChangeSet& changes);

  std::vector<std::string> keys_;
  std::size_t primary_ = 0;
  ResourceIndexes indexes_;
};

// True when `changes` touched the keyring (an apply, or a restore that
// replaced it): the node then re-reads the table into its local keyring.
bool keyring_changed(const ChangeSet& changes);

}  // namespace synod::consensus::state
