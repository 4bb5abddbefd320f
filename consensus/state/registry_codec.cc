#include "consensus/state/registry_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <array>
#include <utility>

namespace synod::consensus::state {
namespace {

struct StatusName {
  proto::HealthStatus status;
  std::string_view name;
};

constexpr std::array<StatusName, 4> kStatusNames = {{
    {proto::HEALTH_PASSING, "passing"},
    {proto::HEALTH_WARNING, "warning"},
    {proto::HEALTH_CRITICAL, "critical"},
    {proto::HEALTH_MAINTENANCE, "maintenance"},
}};

Status check_name(std::string_view what, std::string_view value, const CommandLimits& limits,
                  bool required = true) {
  if (required && value.empty()) return invalid_argument("missing " + std::string(what));
  if (value.size() > limits.max_key_bytes) {
    return invalid_argument(std::string(what) + " of " + std::to_string(value.size()) +
                            " bytes exceeds " + std::to_string(limits.max_key_bytes));
  }
  return Status::ok();
}

Status check_node_name(std::string_view value, const CommandLimits& limits) {
  SYNOD_RETURN_IF_ERROR(check_name("node name", value, limits));
  if (value.find('/') != std::string_view::npos) {
    return invalid_argument("node name \"" + std::string(value) + "\" must not contain '/'");
  }
  return Status::ok();
}

Status check_status_value(proto::HealthStatus status, bool allow_unspecified) {
  if (!proto::HealthStatus_IsValid(status) ||
      (!allow_unspecified && status == proto::HEALTH_UNSPECIFIED)) {
    return invalid_argument("invalid check status " + std::to_string(static_cast<int>(status)));
  }
  return Status::ok();
}

Status validate_register(const proto::CatalogRegister& reg, const CommandLimits& limits) {
  SYNOD_RETURN_IF_ERROR(check_node_name(reg.node().node(), limits));
  if (!reg.skip_node_update() && reg.node().address().empty()) {
    return invalid_argument("Must provide address");
  }
  if (reg.has_service()) {
    const proto::Service& service = reg.service();
    SYNOD_RETURN_IF_ERROR(check_name("service name", service.service(), limits));
    SYNOD_RETURN_IF_ERROR(check_name("service ID", service.id(), limits, /*required=*/false));
    if (!service.node().empty() && service.node() != reg.node().node()) {
      return invalid_argument("service node \"" + service.node() + "\" differs from node \"" +
                              reg.node().node() + "\"");
    }
    if (service.port() > 65535) {
      return invalid_argument("service port " + std::to_string(service.port()) + " out of range");
    }
  }
  if (static_cast<std::size_t>(reg.checks_size()) > limits.max_txn_ops) {
    return invalid_argument("too many checks in one registration");
  }
  for (const proto::HealthCheck& check : reg.checks()) {
    if (check.check_id().empty() && check.name().empty()) {
      return invalid_argument("check is missing both CheckID and Name");
    }
    SYNOD_RETURN_IF_ERROR(check_name("check ID", check.check_id(), limits, false));
    SYNOD_RETURN_IF_ERROR(check_name("check name", check.name(), limits, false));
    SYNOD_RETURN_IF_ERROR(check_status_value(check.status(), /*allow_unspecified=*/true));
    if (!check.node().empty() && check.node() != reg.node().node()) {
      return invalid_argument("check node \"" + check.node() + "\" differs from node \"" +
                              reg.node().node() + "\"");
    }
  }
  return Status::ok();
}

Status validate_session(const proto::Session& session, const CommandLimits& limits) {
  if (session.id().empty()) return invalid_argument("missing session ID");
  if (session.id().size() > limits.max_session_bytes) {
    return invalid_argument("session ID too long");
  }
  SYNOD_RETURN_IF_ERROR(check_node_name(session.node(), limits));
  if (session.ttl_ms() != 0 &&
      (session.ttl_ms() < kMinSessionTtlMs || session.ttl_ms() > kMaxSessionTtlMs)) {
    return invalid_argument("Invalid Session TTL '" + std::to_string(session.ttl_ms()) +
                            "ms', must be between [10s=86400s]");
  }
  if (session.lock_delay_ms() > kMaxLockDelayMs) {
    return invalid_argument("Invalid LockDelay '" + std::to_string(session.lock_delay_ms()) +
                            "ms', must be at most 60s");
  }
  if (!proto::SessionBehavior_IsValid(session.behavior())) {
    return invalid_argument("invalid session behavior");
  }
  SYNOD_RETURN_IF_ERROR(check_name("session name", session.name(), limits, false));
  return Status::ok();
}

}  // namespace

std::string_view health_status_name(proto::HealthStatus status) {
  for (const auto& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "critical";
}

std::optional<proto::HealthStatus> health_status_from_name(std::string_view name) {
  for (const auto& entry : kStatusNames) {
    if (entry.name == name) return entry.status;
  }
  return std::nullopt;
}

std::string_view session_behavior_name(proto::SessionBehavior behavior) {
  return behavior == proto::SESSION_DELETE ? "delete" : "release";
}

std::optional<proto::SessionBehavior> session_behavior_from_name(std::string_view name) {
  if (name == "release") return proto::SESSION_RELEASE;
  if (name == "delete") return proto::SESSION_DELETE;
  return std::nullopt;
}

std::string_view registry_command_kind(const proto::Command& command) {
  switch (command.body_case()) {
    case proto::Command::kCatalogRegister:
      return "catalog_register";
    case proto::Command::kCatalogDeregister:
      return "catalog_deregister";
    case proto::Command::kCheckStatus:
      return "check_status";
    case proto::Command::kSessionCreate:
      return "session_create";
    case proto::Command::kSessionDestroy:
      return "session_destroy";
    case proto::Command::kSessionRenew:
      return "session_renew";
    case proto::Command::kSessionInvalidate:
      return "session_invalidate";
    default:
      return {};
  }
}

Status validate_registry_command(const proto::Command& command, const CommandLimits& limits) {
  switch (command.body_case()) {
    case proto::Command::kCatalogRegister:
      return validate_register(command.catalog_register(), limits);
    case proto::Command::kCatalogDeregister:
      return check_node_name(command.catalog_deregister().node(), limits);
    case proto::Command::kCheckStatus: {
      const auto& updates = command.check_status().updates();
      if (updates.empty()) return invalid_argument("check status batch is empty");
      if (static_cast<std::size_t>(updates.size()) > limits.max_txn_ops * 64) {
        return invalid_argument("too many check updates in one batch");
      }
      for (const auto& update : updates) {
        SYNOD_RETURN_IF_ERROR(check_node_name(update.node(), limits));
        SYNOD_RETURN_IF_ERROR(check_name("check ID", update.check_id(), limits));
        SYNOD_RETURN_IF_ERROR(check_status_value(update.status(), /*allow_unspecified=*/false));
      }
      return Status::ok();
    }
    case proto::Command::kSessionCreate:
      return validate_session(command.session_create().session(), limits);
    case proto::Command::kSessionDestroy:
      if (command.session_destroy().id().empty()) return invalid_argument("missing session ID");
      return Status::ok();
    case proto::Command::kSessionRenew:
      if (command.session_renew().id().empty()) return invalid_argument("missing session ID");
      return Status::ok();
    case proto::Command::kSessionInvalidate:
      if (command.session_invalidate().ids().empty()) {
        return invalid_argument("no session to invalidate");
      }
      for (const auto& id : command.session_invalidate().ids()) {
        if (id.empty()) return invalid_argument("missing session ID");
      }
      return Status::ok();
    default:
      return invalid_argument("not a registry command");
  }
}

Bytes encode_deterministic(const google::protobuf::Message& message) {
  Bytes out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

proto::Command make_register_command(proto::CatalogRegister registration,
                                     std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  *command.mutable_catalog_register() = std::move(registration);
  return command;
}

proto::Command make_deregister_command(std::string_view node, std::string_view service_id,
                                       std::string_view check_id, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  auto* body = command.mutable_catalog_deregister();
  body->set_node(std::string(node));
  body->set_service_id(std::string(service_id));
  body->set_check_id(std::string(check_id));
  return command;
}

proto::CheckStatusUpdate check_status_update(std::string_view node, std::string_view check_id,
                                             proto::HealthStatus status, std::string_view output) {
  proto::CheckStatusUpdate update;
  update.set_node(std::string(node));
  update.set_check_id(std::string(check_id));
  update.set_status(status);
  update.set_output(std::string(output));
  return update;
}

proto::Command make_check_status_command(std::vector<proto::CheckStatusUpdate> updates,
                                         std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  auto* body = command.mutable_check_status();
  for (auto& update : updates) *body->add_updates() = std::move(update);
  return command;
}

proto::Command make_session_create_command(proto::Session session, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  *command.mutable_session_create()->mutable_session() = std::move(session);
  return command;
}

proto::Command make_session_destroy_command(std::string_view id, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  command.mutable_session_destroy()->set_id(std::string(id));
  return command;
}

proto::Command make_session_renew_command(std::string_view id, std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  command.mutable_session_renew()->set_id(std::string(id));
  return command;
}

proto::Command make_session_invalidate_command(std::vector<std::string> ids,
                                               std::uint64_t leader_time_ms) {
  proto::Command command;
  command.set_leader_time_ms(leader_time_ms);
  auto* body = command.mutable_session_invalidate();
  for (auto& id : ids) body->add_ids(std::move(id));
  return command;
}

void apply_session_defaults(proto::Session& session, bool lock_delay_given, bool checks_given) {
  if (!lock_delay_given) session.set_lock_delay_ms(kDefaultLockDelayMs);
  if (!checks_given && session.checks().empty() && session.node_checks().empty() &&
      session.service_checks().empty()) {
    session.add_node_checks(std::string(kSerfHealthCheckId));
  }
}

}  // namespace synod::consensus::state
