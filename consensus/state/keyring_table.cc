#include "consensus/state/keyring_table.h"

#include <algorithm>
#include <utility>

namespace synod::consensus::state {
namespace {

constexpr std::string_view kStateKind = "state";
constexpr std::uint8_t kStateVersion = 1;

// "keyring/state": u8 version (1) | u32 primary position | u32 count |
// count x 32-byte keys (install order). Little-endian like the snapshot.
Bytes encode_state(const std::vector<std::string>& keys, std::size_t primary) {
  Bytes out;
  out.reserve(9 + keys.size() * kClusterKeyBytes);
  put_u8(out, kStateVersion);
  put_u32(out, static_cast<std::uint32_t>(primary));
  put_u32(out, static_cast<std::uint32_t>(keys.size()));
  for (const auto& key : keys) out.append(key);
  return out;
}

Status check_key(std::string_view key, std::string_view what) {
  if (key.size() != kClusterKeyBytes) {
    return invalid_argument(std::string(what) + " must be " + std::to_string(kClusterKeyBytes) +
                            " bytes, got " + std::to_string(key.size()));
  }
  return Status::ok();
}

}  // namespace

Status validate_keyring_op(const proto::KeyringOp& op) {
  const proto::KeyringVerb verb = op.verb();
  if (!proto::KeyringVerb_IsValid(verb) || verb == proto::KEYRING_VERB_UNSPECIFIED) {
    return invalid_argument("unknown keyring verb " + std::to_string(static_cast<int>(verb)));
  }
  SYNOD_RETURN_IF_ERROR(check_key(op.key(), "a cluster key"));
  if (verb != proto::KEYRING_SEED && !op.others().empty()) {
    return invalid_argument("only a keyring seed carries more than one key");
  }
  if (static_cast<std::size_t>(op.others().size()) >= kMaxClusterKeys) {
    return invalid_argument("a keyring holds at most " + std::to_string(kMaxClusterKeys) + " keys");
  }
  for (const auto& other : op.others()) SYNOD_RETURN_IF_ERROR(check_key(other, "a cluster key"));
  return Status::ok();
}

proto::Command make_keyring_command(proto::KeyringVerb verb, std::string_view key) {
  proto::Command command;
  command.mutable_keyring()->set_verb(verb);
  command.mutable_keyring()->set_key(std::string(key));
  return command;
}

proto::Command make_keyring_seed_command(std::string_view primary,
                                         const std::vector<std::string>& others) {
  proto::Command command = make_keyring_command(proto::KEYRING_SEED, primary);
  for (const auto& key : others) {
    if (key != primary) command.mutable_keyring()->add_others(key);
  }
  return command;
}

KeyringTable::KeyringTable() : indexes_("keyring") {}

std::optional<std::size_t> KeyringTable::position(std::string_view key) const {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - keys_.begin());
}

bool KeyringTable::contains(std::string_view key) const { return position(key).has_value(); }

std::uint64_t KeyringTable::index() const {
  return std::max<std::uint64_t>(indexes_.get(kKeyringResource), 1);
}

void KeyringTable::changed(std::uint64_t index, ChangeSet& changes) {
  changes.mark(RecordTable::kMeta, meta_key(owner(), kStateKind));
  indexes_.bump(kKeyringResource, index, changes);
}

Result<bool> KeyringTable::apply(const proto::KeyringOp& op, std::uint64_t index,
                                 ChangeSet& changes) {
  // decode_command validated the op already; validate again so a caller
  // that skips the codec cannot corrupt the table.
  SYNOD_RETURN_IF_ERROR(validate_keyring_op(op));
  const std::optional<std::size_t> at = position(op.key());
  switch (op.verb()) {
    case proto::KEYRING_INSTALL:
      if (at) return true;  // Consul: installing an installed key succeeds
      if (keys_.size() >= kMaxClusterKeys) {
        return failed_precondition("the keyring is full (" + std::to_string(kMaxClusterKeys) +
                                   " keys); remove a key first");
      }
      keys_.push_back(op.key());
      changed(index, changes);
      return true;
    case proto::KEYRING_USE:
      if (!at) return not_found("the key is not installed; install it first");
      if (*at == primary_) return true;
      primary_ = *at;
      changed(index, changes);
      return true;
    case proto::KEYRING_REMOVE:
      if (!at) return not_found("the key is not installed");
      if (*at == primary_) {
        return failed_precondition(
            "the primary key cannot be removed; make another key primary first");
      }
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(*at));
      if (primary_ > *at) --primary_;
      changed(index, changes);
      return true;
    case proto::KEYRING_SEED:
      if (!keys_.empty()) return false;  // seeded already (by an earlier leader)
      keys_.push_back(op.key());
      for (const auto& other : op.others()) {
        if (!contains(other)) keys_.push_back(other);
      }
      primary_ = 0;
      changed(index, changes);
      return true;
    default:
      return invalid_argument("unknown keyring verb");
  }
}

void KeyringTable::emit_records(const RecordSink& sink) const {
  // "keyring/index/..." sorts before "keyring/state": indexes first.
  indexes_.emit_records(sink);
  if (keys_.empty()) return;
  StateRecord record;
  record.key = meta_key(owner(), kStateKind);
  record.value = encode_state(keys_, primary_);
  sink(RecordTable::kMeta, std::move(record));
}

void KeyringTable::records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const {
  indexes_.records_for(changes, out);
  const std::string key = meta_key(owner(), kStateKind);
  if (!changes.contains(RecordTable::kMeta, key)) return;
  RecordChange change{RecordTable::kMeta, key, std::nullopt};
  if (!keys_.empty()) change.record = StateRecord{key, {}, encode_state(keys_, primary_)};
  out.push_back(std::move(change));
}

Status KeyringTable::load_record(RecordTable table, std::string_view key, ByteView value) {
  const std::string quoted_key = "\"" + std::string(key) + "\"";
  if (table != RecordTable::kMeta) {
    return corruption("the keyring table does not store " + std::string(record_table_name(table)) +
                      " record " + quoted_key);
  }
  if (indexes_.owns_meta_key(key)) return indexes_.load_record(key, value);
  if (key != meta_key(owner(), kStateKind)) {
    return corruption("unknown keyring meta record " + quoted_key);
  }
  if (!keys_.empty()) return corruption("keyring record " + quoted_key + ": duplicate");
  ByteReader reader(value);
  auto version = reader.u8();
  auto primary = reader.u32();
  auto count = reader.u32();
  if (!version || *version != kStateVersion || !primary || !count || *count == 0 ||
      *count > kMaxClusterKeys || *primary >= *count ||
      reader.remaining() != *count * kClusterKeyBytes) {
    return corruption("keyring record " + quoted_key + " is malformed");
  }
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < *count; ++i) {
    std::string next(*reader.raw(kClusterKeyBytes));
    if (std::find(keys.begin(), keys.end(), next) != keys.end()) {
      return corruption("keyring record " + quoted_key + " holds a key twice");
    }
    keys.push_back(std::move(next));
  }
  keys_ = std::move(keys);
  primary_ = *primary;
  return Status::ok();
}

void KeyringTable::clear() {
  keys_.clear();
  primary_ = 0;
  indexes_.clear();
}

bool keyring_changed(const ChangeSet& changes) {
  return changes.contains(RecordTable::kMeta, meta_key("keyring", kStateKind));
}

}  // namespace synod::consensus::state
