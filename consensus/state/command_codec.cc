#include "consensus/state/command_codec.h"

#include <array>
#include <utility>

#include "consensus/state/dictionary_table.h"
#include "consensus/state/keyring_table.h"
#include "consensus/state/registry_codec.h"

namespace synod::consensus::state {
namespace {

struct VerbName {
  proto::KvVerb verb;
  std::string_view name;
};

constexpr std::array<VerbName, 12> kVerbNames = {{
    {proto::KV_SET, "set"},
    {proto::KV_CAS, "cas"},
    {proto::KV_GET, "get"},
    {proto::KV_GET_TREE, "get-tree"},
    {proto::KV_CHECK_INDEX, "check-index"},
    {proto::KV_CHECK_SESSION, "check-session"},
    {proto::KV_CHECK_NOT_EXISTS, "check-not-exists"},
    {proto::KV_DELETE, "delete"},
    {proto::KV_DELETE_TREE, "delete-tree"},
    {proto::KV_DELETE_CAS, "delete-cas"},
    {proto::KV_LOCK, "lock"},
    {proto::KV_UNLOCK, "unlock"},
}};

// Tree verbs take a prefix, which may be empty (the whole keyspace).
bool takes_prefix(proto::KvVerb verb) {
  return verb == proto::KV_GET_TREE || verb == proto::KV_DELETE_TREE;
}

bool needs_session(proto::KvVerb verb) {
  return verb == proto::KV_LOCK || verb == proto::KV_UNLOCK;
}

}  // namespace

CommandLimits CommandLimits::hard() {
  CommandLimits limits;
  limits.max_key_bytes = 64 * 1024;
  limits.max_value_bytes = 64 * 1024 * 1024;
  limits.max_session_bytes = 4096;
  limits.max_txn_ops = 65536;
  return limits;
}

std::string_view kv_verb_name(proto::KvVerb verb) {
  for (const auto& entry : kVerbNames) {
    if (entry.verb == verb) return entry.name;
  }
  return "unknown";
}

std::optional<proto::KvVerb> kv_verb_from_name(std::string_view name) {
  for (const auto& entry : kVerbNames) {
    if (entry.name == name) return entry.verb;
  }
  return std::nullopt;
}

bool is_write_verb(proto::KvVerb verb) {
  switch (verb) {
    case proto::KV_SET:
    case proto::KV_CAS:
    case proto::KV_DELETE:
    case proto::KV_DELETE_TREE:
    case proto::KV_DELETE_CAS:
    case proto::KV_LOCK:
    case proto::KV_UNLOCK:
      return true;
    default:
      return false;
  }
}

Status validate_kv_op(const proto::KvOp& op, bool in_txn, const CommandLimits& limits) {
  const proto::KvVerb verb = op.verb();
  if (!proto::KvVerb_IsValid(verb) || verb == proto::KV_VERB_UNSPECIFIED) {
    return invalid_argument("unknown KV verb " + std::to_string(static_cast<int>(verb)));
  }
  if (!in_txn && !is_write_verb(verb)) {
    return invalid_argument("verb '" + std::string(kv_verb_name(verb)) +
                            "' is only allowed inside a txn");
  }
  if (op.key().empty() && !takes_prefix(verb)) {
    return invalid_argument("missing key for verb '" + std::string(kv_verb_name(verb)) + "'");
  }
  if (op.key().size() > limits.max_key_bytes) {
    return invalid_argument("key of " + std::to_string(op.key().size()) + " bytes exceeds " +
                            std::to_string(limits.max_key_bytes));
  }
  if (op.value().size() > limits.max_value_bytes) {
    return invalid_argument("value of " + std::to_string(op.value().size()) + " bytes exceeds " +
                            std::to_string(limits.max_value_bytes));
  }
  if (op.session().size() > limits.max_session_bytes) {
    return invalid_argument("session id too long");
  }
  if (needs_session(verb) && op.session().empty()) {
    return invalid_argument("missing session for verb '" + std::string(kv_verb_name(verb)) + "'");
  }
  return Status::ok();
}

Status validate_command(const proto::Command& command, const CommandLimits& limits) {
  switch (command.body_case()) {
    case proto::Command::kKv:
      return validate_kv_op(command.kv(), /*in_txn=*/false, limits);
    case proto::Command::kKvTxn: {
      const auto& ops = command.kv_txn().ops();
      if (ops.empty()) return invalid_argument("txn has no operations");
      if (static_cast<std::size_t>(ops.size()) > limits.max_txn_ops) {
        return invalid_argument("txn has " + std::to_string(ops.size()) +
                                " operations, the limit is " + std::to_string(limits.max_txn_ops));
      }
      for (int i = 0; i < ops.size(); ++i) {
        Status status = validate_kv_op(ops[i], /*in_txn=*/true, limits);
        if (!status.is_ok()) return status.with_context("txn op " + std::to_string(i));
      }
      return Status::ok();
    }
    case proto::Command::kKvReap:
      return Status::ok();
    case proto::Command::kKeyring:
      return validate_keyring_op(command.keyring());
    case proto::Command::kCompressionDictionary:
      return validate_dictionary(command.compression_dictionary());
    default:
      if (is_registry_command(command)) return validate_registry_command(command, limits);
      break;
  }
  return invalid_argument("command has no body (unknown or missing command type)");
}

Bytes encode_command(const proto::Command& command) {
  Bytes out;
  command.SerializeToString(&out);
  return out;
}

Result<proto::Command> decode_command(ByteView bytes, const CommandLimits& limits) {
  proto::Command command;
  if (!command.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed command (" + std::to_string(bytes.size()) + " bytes)");
  }
  SYNOD_RETURN_IF_ERROR(validate_command(command, limits));
  return command;
}

Result<Bytes> prepare_command(proto::Command command, std::uint64_t leader_time_ms,
                              const CommandLimits& limits) {
  SYNOD_RETURN_IF_ERROR(validate_command(command, limits));
  command.set_leader_time_ms(leader_time_ms);
  return encode_command(command);
}

Result<Bytes> restamp_command(ByteView bytes, std::uint64_t leader_time_ms,
                              const CommandLimits& limits) {
  SYNOD_ASSIGN_OR_RETURN(proto::Command command, decode_command(bytes, limits));
  command.set_leader_time_ms(leader_time_ms);
  return encode_command(command);
}

proto::KvOp kv_set_op(std::string_view key, std::string_view value, std::uint64_t flags) {
  proto::KvOp op;
  op.set_verb(proto::KV_SET);
  op.set_key(std::string(key));
  op.set_value(std::string(value));
  op.set_flags(flags);
  return op;
}

proto::KvOp kv_cas_op(std::string_view key, std::string_view value, std::uint64_t index,
                      std::uint64_t flags) {
  proto::KvOp op = kv_set_op(key, value, flags);
  op.set_verb(proto::KV_CAS);
  op.set_index(index);
  return op;
}

proto::KvOp kv_delete_op(std::string_view key) { return kv_read_op(proto::KV_DELETE, key); }

proto::KvOp kv_delete_cas_op(std::string_view key, std::uint64_t index) {
  return kv_read_op(proto::KV_DELETE_CAS, key, index);
}

proto::KvOp kv_delete_tree_op(std::string_view prefix) {
  return kv_read_op(proto::KV_DELETE_TREE, prefix);
}

proto::KvOp kv_lock_op(std::string_view key, std::string_view session, std::string_view value,
                       std::uint64_t flags) {
  proto::KvOp op = kv_set_op(key, value, flags);
  op.set_verb(proto::KV_LOCK);
  op.set_session(std::string(session));
  return op;
}

proto::KvOp kv_unlock_op(std::string_view key, std::string_view session, std::string_view value,
                         std::uint64_t flags) {
  proto::KvOp op = kv_lock_op(key, session, value, flags);
  op.set_verb(proto::KV_UNLOCK);
  return op;
}

proto::KvOp kv_read_op(proto::KvVerb verb, std::string_view key, std::uint64_t index,
                       std::string_view session) {
  proto::KvOp op;
  op.set_verb(verb);
  op.set_key(std::string(key));
  op.set_index(index);
  op.set_session(std::string(session));
  return op;
}

proto::Command make_kv_command(proto::KvOp op, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  *command.mutable_kv() = std::move(op);
  return command;
}

proto::Command make_txn_command(std::vector<proto::KvOp> ops, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  auto* txn = command.mutable_kv_txn();
  for (auto& op : ops) *txn->add_ops() = std::move(op);
  return command;
}

proto::Command make_reap_command(std::uint64_t up_to_index, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  command.mutable_kv_reap()->set_up_to_index(up_to_index);
  return command;
}

}  // namespace synod::consensus::state
