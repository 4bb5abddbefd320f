// Encoding, decoding and validation of state-machine commands
// (proto/commands.proto). Log entries may come from a peer, so every decoder
// here treats its input as untrusted: malformed bytes give a Status, never a
// crash.
//
// Two kinds of limits: the proposer's (CommandLimits{} defaults, or from the
// node config) refuse oversized requests before they enter the log; the apply
// path uses CommandLimits::hard(), a fixed ceiling that is the same on every
// node, so that validation at apply time can never make replicas diverge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/state/commands_pb.h"

namespace synod::consensus::state {

struct CommandLimits {
  std::size_t max_key_bytes = 8 * 1024;
  std::size_t max_value_bytes = 512 * 1024;  // Consul's kv_max_value_size
  std::size_t max_session_bytes = 256;
  std::size_t max_txn_ops = 64;  // Consul's txn op limit
  // The apply-time ceiling (never lower than any proposer's limits).
  static CommandLimits hard();
};

// Checks a command's structure and sizes (verbs known, keys present where
// required, single-op commands only carry write verbs, txn non-empty).
Status validate_command(const proto::Command& command,
                        const CommandLimits& limits = CommandLimits{});
// Checks one KV op; `in_txn` allows the read-only verbs.
Status validate_kv_op(const proto::KvOp& op, bool in_txn, const CommandLimits& limits);

// The proposer's gate: validates with the proposer's limits, stamps the
// leader's wall clock (Unix ms) and encodes. The leader re-stamps a command a
// follower forwarded with restamp_command, so the time always comes from the
// node that appends the entry.
Result<Bytes> prepare_command(proto::Command command, std::uint64_t leader_time_ms,
                              const CommandLimits& limits = CommandLimits{});
Result<Bytes> restamp_command(ByteView bytes, std::uint64_t leader_time_ms,
                              const CommandLimits& limits = CommandLimits{});

// Serialises a command (deterministic: the same command gives the same bytes).
Bytes encode_command(const proto::Command& command);
// Parses and validates untrusted bytes.
Result<proto::Command> decode_command(ByteView bytes,
                                      const CommandLimits& limits = CommandLimits::hard());

// Consul's txn verb strings ("set", "cas", "get-tree", ...) and back.
std::string_view kv_verb_name(proto::KvVerb verb);
std::optional<proto::KvVerb> kv_verb_from_name(std::string_view name);
// True for verbs that change state (allowed as single-op commands).
bool is_write_verb(proto::KvVerb verb);

// Builders for the common ops (tests, HTTP handlers, CLI).
proto::KvOp kv_set_op(std::string_view key, std::string_view value, std::uint64_t flags = 0);
proto::KvOp kv_cas_op(std::string_view key, std::string_view value, std::uint64_t index,
                      std::uint64_t flags = 0);
proto::KvOp kv_delete_op(std::string_view key);
proto::KvOp kv_delete_cas_op(std::string_view key, std::uint64_t index);
proto::KvOp kv_delete_tree_op(std::string_view prefix);
proto::KvOp kv_lock_op(std::string_view key, std::string_view session, std::string_view value = {},
                       std::uint64_t flags = 0);
proto::KvOp kv_unlock_op(std::string_view key, std::string_view session,
                         std::string_view value = {}, std::uint64_t flags = 0);
proto::KvOp kv_read_op(proto::KvVerb verb, std::string_view key, std::uint64_t index = 0,
                       std::string_view session = {});

proto::Command make_kv_command(proto::KvOp op, std::uint64_t leader_time_ms = 0);
proto::Command make_txn_command(std::vector<proto::KvOp> ops, std::uint64_t leader_time_ms = 0);
proto::Command make_reap_command(std::uint64_t up_to_index, std::uint64_t leader_time_ms);

}  // namespace synod::consensus::state
