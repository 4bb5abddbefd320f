// Consul's JSON shapes for the registry endpoints, to and from the
// registry.proto records (field names and defaults as Consul documents
// them: AgentServiceRegistration, AgentServiceCheck, the catalog register
// body, HealthCheck, ServiceEntry, CatalogService, Session).
//
// Parsers take untrusted bodies: every failure is InvalidArgument with a
// message naming the field (HTTP 400), never an exception.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "consensus/state/catalog_table.h"
#include "consensus/state/commands_pb.h"

namespace synod::node::registry {

using nlohmann::ordered_json;

// Go's time.Duration.String() for milliseconds: "10s", "1m30s", "1.5s", "0s".
std::string format_go_duration(std::uint64_t ms);
// A duration field: a Go duration string, or a number of nanoseconds.
Result<std::uint64_t> duration_ms_field(const ordered_json& value, std::string_view field);

// ---- Requests ----

// The node this agent runs as (the owner of agent-registered services).
struct AgentNode {
  std::string name;
  std::string id;
  std::string address;
  std::string datacenter;
};

// PUT /v1/agent/service/register body -> a CatalogRegister for `agent`
// (service plus its Check/Checks, with Consul's default check ids
// "service:<id>" or "service:<id>:<n>").
Result<proto::CatalogRegister> parse_agent_service(const ordered_json& body,
                                                   const AgentNode& agent);
// PUT /v1/agent/check/register body -> one check of `agent`.
Result<proto::HealthCheck> parse_agent_check(const ordered_json& body, const AgentNode& agent);
// PUT /v1/catalog/register body.
Result<proto::CatalogRegister> parse_catalog_register(const ordered_json& body);
// PUT /v1/catalog/deregister body.
Result<proto::CatalogDeregister> parse_catalog_deregister(const ordered_json& body);
// PUT /v1/session/create body (defaults applied: LockDelay 15 s, NodeChecks
// [serfHealth], Node = `agent_node` when absent). The id is left empty.
Result<proto::Session> parse_session_create(const ordered_json& body,
                                            const std::string& agent_node);

// ---- Responses ----
ordered_json node_json(const proto::Node& node);
ordered_json check_json(const proto::HealthCheck& check);
// The "Service" of a ServiceEntry / catalog node services (AgentService).
ordered_json agent_service_json(const proto::Service& service, const std::string& datacenter);
ordered_json catalog_service_json(const proto::Node& node, const proto::Service& service);
ordered_json service_entry_json(const consensus::state::ServiceHealth& entry);
ordered_json session_json(const proto::Session& session);

}  // namespace synod::node::registry
