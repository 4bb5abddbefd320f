// Registry and session commands (issue 6): Consul's enum strings, the
// validation of catalog/session command bodies (called by validate_command,
// so both the proposer and the apply path run it) and builders for the
// HTTP handlers, the check runners, the session timers and the tests.
//
// Build a command, then prepare_command(cmd, now_ms) (command_codec.h) and
// propose the bytes; the ApplyResult's status says whether it applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/commands_pb.h"

namespace synod::consensus::state {

// Session limits (Consul's): TTL 0 (none) or 10 s .. 86400 s; LockDelay at
// most 60 s, 15 s when the request does not give one.
inline constexpr std::uint64_t kMinSessionTtlMs = 10'000;
inline constexpr std::uint64_t kMaxSessionTtlMs = 86'400'000;
inline constexpr std::uint64_t kMaxLockDelayMs = 60'000;
inline constexpr std::uint64_t kDefaultLockDelayMs = 15'000;
// The node-level check every node carries (fed by the failure detector);
// sessions bind it when the request names no checks.
inline constexpr std::string_view kSerfHealthCheckId = "serfHealth";

// "passing", "warning", "critical", "maintenance" (unspecified: "critical").
std::string_view health_status_name(proto::HealthStatus status);
std::optional<proto::HealthStatus> health_status_from_name(std::string_view name);
// "release", "delete".
std::string_view session_behavior_name(proto::SessionBehavior behavior);
std::optional<proto::SessionBehavior> session_behavior_from_name(std::string_view name);

// "catalog_register", "catalog_deregister", "check_status",
// "session_create", "session_destroy", "session_renew", "session_invalidate"
// (the metric label); empty for a body that is not a registry command.
std::string_view registry_command_kind(const proto::Command& command);
inline bool is_registry_command(const proto::Command& command) {
  return !registry_command_kind(command).empty();
}

// Structural checks of registry/session command bodies: required names
// present, names within limits and without '/' for nodes, known enums,
// session TTL and lock-delay in range. Existence checks (node registered,
// check exists) happen at apply time against the state.
Status validate_registry_command(const proto::Command& command, const CommandLimits& limits);

// A record's bytes: protobuf serialisation with map fields sorted, so equal
// messages give equal bytes on every replica.
Bytes encode_deterministic(const google::protobuf::Message& message);

// ---- Builders ----
proto::Command make_register_command(proto::CatalogRegister registration,
                                     std::uint64_t leader_time_ms = 0);
// Deregister the node (service_id and check_id empty), one service (and its
// checks) or one check.
proto::Command make_deregister_command(std::string_view node, std::string_view service_id = {},
                                       std::string_view check_id = {},
                                       std::uint64_t leader_time_ms = 0);
proto::CheckStatusUpdate check_status_update(std::string_view node, std::string_view check_id,
                                             proto::HealthStatus status,
                                             std::string_view output = {});
proto::Command make_check_status_command(std::vector<proto::CheckStatusUpdate> updates,
                                         std::uint64_t leader_time_ms = 0);
// `session.id` must be set by the proposer (a fresh UUID).
proto::Command make_session_create_command(proto::Session session,
                                           std::uint64_t leader_time_ms = 0);
proto::Command make_session_destroy_command(std::string_view id, std::uint64_t leader_time_ms = 0);
proto::Command make_session_renew_command(std::string_view id, std::uint64_t leader_time_ms = 0);
proto::Command make_session_invalidate_command(std::vector<std::string> ids,
                                               std::uint64_t leader_time_ms = 0);

// Consul's request defaults for PUT /v1/session/create, applied by the
// proposer (proto3 cannot tell "absent" from "empty"): when the request had
// no "LockDelay", 15 s; when it had none of "Checks", "NodeChecks",
// "ServiceChecks", node_checks = ["serfHealth"].
void apply_session_defaults(proto::Session& session, bool lock_delay_given, bool checks_given);

}  // namespace synod::consensus::state
