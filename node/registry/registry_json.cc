#include "node/registry/registry_json.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "consensus/state/registry_codec.h"
#include "node/http/query.h"

namespace synod::node::registry {
namespace {

namespace state = consensus::state;

// Go's encoding/json matches field names case-insensitively; so do we.
const ordered_json* field(const ordered_json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(name));
  if (it != object.end()) return it->is_null() ? nullptr : &*it;
  for (auto entry = object.begin(); entry != object.end(); ++entry) {
    const std::string& key = entry.key();
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return entry->is_null() ? nullptr : &entry.value();
  }
  return nullptr;
}

Status type_error(std::string_view name, std::string_view want) {
  return invalid_argument("Request decode failed: field \"" + std::string(name) + "\" must be " +
                          std::string(want));
}

Status read_string(const ordered_json& object, std::string_view name, std::string* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  if (!v->is_string()) return type_error(name, "a string");
  *out = v->get<std::string>();
  return Status::ok();
}

Status read_bool(const ordered_json& object, std::string_view name, bool* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  if (!v->is_boolean()) return type_error(name, "a boolean");
  *out = v->get<bool>();
  return Status::ok();
}

template <typename Int>
Status read_uint(const ordered_json& object, std::string_view name, Int* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
    return type_error(name, "a non-negative integer");
  }
  const auto value = v->get<std::uint64_t>();
  if (value > std::numeric_limits<Int>::max()) return type_error(name, "in range");
  *out = static_cast<Int>(value);
  return Status::ok();
}

template <typename Strings>
Status read_strings(const ordered_json& object, std::string_view name, Strings* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  if (!v->is_array()) return type_error(name, "an array of strings");
  for (const auto& s : *v) {
    if (!s.is_string()) return type_error(name, "an array of strings");
    out->Add(s.get<std::string>());
  }
  return Status::ok();
}

template <typename Map>
Status read_string_map(const ordered_json& object, std::string_view name, Map* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  if (!v->is_object()) return type_error(name, "an object of strings");
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) return type_error(name, "an object of strings");
    (*out)[it.key()] = it->get<std::string>();
  }
  return Status::ok();
}

Status read_duration(const ordered_json& object, std::string_view name, std::uint64_t* out) {
  const auto* v = field(object, name);
  if (v == nullptr) return Status::ok();
  SYNOD_ASSIGN_OR_RETURN(*out, duration_ms_field(*v, name));
  return Status::ok();
}

Status read_status(const ordered_json& object, proto::HealthStatus* out) {
  std::string status;
  SYNOD_RETURN_IF_ERROR(read_string(object, "Status", &status));
  if (status.empty()) return Status::ok();
  auto parsed = state::health_status_from_name(status);
  if (!parsed) return invalid_argument("Invalid check status: \"" + status + "\"");
  *out = *parsed;
  return Status::ok();
}

// The run-time fields of a check (top level in agent bodies, "Definition"
// in catalog bodies).
Status read_definition(const ordered_json& object, proto::HealthCheckDefinition* def) {
  SYNOD_RETURN_IF_ERROR(read_string(object, "HTTP", def->mutable_http()));
  SYNOD_RETURN_IF_ERROR(read_string(object, "TCP", def->mutable_tcp()));
  SYNOD_RETURN_IF_ERROR(read_string(object, "Method", def->mutable_method()));
  SYNOD_RETURN_IF_ERROR(read_string(object, "Body", def->mutable_body()));
  SYNOD_RETURN_IF_ERROR(read_strings(object, "Args", def->mutable_args()));
  bool skip_verify = false;
  SYNOD_RETURN_IF_ERROR(read_bool(object, "TLSSkipVerify", &skip_verify));
  def->set_tls_skip_verify(skip_verify);
  std::uint64_t ms = 0;
  SYNOD_RETURN_IF_ERROR(read_duration(object, "TTL", &ms));
  def->set_ttl_ms(ms);
  ms = 0;
  SYNOD_RETURN_IF_ERROR(read_duration(object, "Interval", &ms));
  def->set_interval_ms(ms);
  ms = 0;
  SYNOD_RETURN_IF_ERROR(read_duration(object, "Timeout", &ms));
  def->set_timeout_ms(ms);
  ms = 0;
  SYNOD_RETURN_IF_ERROR(read_duration(object, "DeregisterCriticalServiceAfter", &ms));
  def->set_deregister_critical_service_after_ms(ms);
  if (const auto* header = field(object, "Header")) {
    if (!header->is_object()) return type_error("Header", "an object of string arrays");
    for (auto it = header->begin(); it != header->end(); ++it) {
      if (!it->is_array()) return type_error("Header", "an object of string arrays");
      auto& values = (*def->mutable_header())[it.key()];
      for (const auto& v : *it) {
        if (!v.is_string()) return type_error("Header", "an object of string arrays");
        values.add_values(v.get<std::string>());
      }
    }
  }
  return Status::ok();
}

std::string check_type(const proto::HealthCheckDefinition& def) {
  if (!def.http().empty()) return "http";
  if (!def.tcp().empty()) return "tcp";
  if (def.args_size() > 0) return "script";
  if (def.ttl_ms() > 0) return "ttl";
  return "";
}

// One AgentServiceCheck / AgentCheckRegistration.
Result<proto::HealthCheck> parse_check_body(const ordered_json& body) {
  if (!body.is_object()) return invalid_argument("Request decode failed: check must be an object");
  proto::HealthCheck check;
  SYNOD_RETURN_IF_ERROR(read_string(body, "CheckID", check.mutable_check_id()));
  if (check.check_id().empty())
    SYNOD_RETURN_IF_ERROR(read_string(body, "ID", check.mutable_check_id()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Name", check.mutable_name()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Notes", check.mutable_notes()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "ServiceID", check.mutable_service_id()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Output", check.mutable_output()));
  proto::HealthStatus status = proto::HEALTH_CRITICAL;
  SYNOD_RETURN_IF_ERROR(read_status(body, &status));
  check.set_status(status);
  SYNOD_RETURN_IF_ERROR(read_definition(body, check.mutable_definition()));
  const auto& def = check.definition();
  const int kinds = (def.http().empty() ? 0 : 1) + (def.tcp().empty() ? 0 : 1) +
                    (def.args_size() > 0 ? 1 : 0) + (def.ttl_ms() > 0 ? 1 : 0);
  if (kinds > 1) {
    return invalid_argument("Invalid check: only one of Args, HTTP, TCP or TTL may be set");
  }
  if (kinds == 1 && def.ttl_ms() == 0 && def.interval_ms() == 0) {
    return invalid_argument("Invalid check: Interval is required for Script, HTTP, or TCP checks");
  }
  check.set_type(check_type(def));
  return check;
}

Status read_weights(const ordered_json& object, std::string_view name, proto::Service* service) {
  const auto* w = field(object, name);
  if (w == nullptr) return Status::ok();
  if (!w->is_object()) return type_error(name, "an object");
  std::uint32_t passing = 1;
  std::uint32_t warning = 1;
  SYNOD_RETURN_IF_ERROR(read_uint(*w, "Passing", &passing));
  SYNOD_RETURN_IF_ERROR(read_uint(*w, "Warning", &warning));
  service->mutable_weights()->set_passing(static_cast<std::int32_t>(passing));
  service->mutable_weights()->set_warning(static_cast<std::int32_t>(warning));
  return Status::ok();
}

ordered_json string_map_json(const google::protobuf::Map<std::string, std::string>& map) {
  // Sorted, so replies are stable.
  std::map<std::string, std::string> sorted(map.begin(), map.end());
  ordered_json out = ordered_json::object();
  for (const auto& [k, v] : sorted) out[k] = v;
  return out;
}

ordered_json strings_json(const google::protobuf::RepeatedPtrField<std::string>& list) {
  ordered_json out = ordered_json::array();
  for (const auto& s : list) out.push_back(s);
  return out;
}

ordered_json weights_json(const proto::Service& service) {
  const bool has = service.has_weights();
  return ordered_json{{"Passing", has ? service.weights().passing() : 1},
                      {"Warning", has ? service.weights().warning() : 1}};
}

ordered_json definition_json(const proto::HealthCheckDefinition& def) {
  ordered_json out = ordered_json::object();
  if (!def.http().empty()) {
    out["HTTP"] = def.http();
    if (!def.method().empty()) out["Method"] = def.method();
    if (def.header_size() > 0) {
      ordered_json header = ordered_json::object();
      std::map<std::string, proto::HeaderValues> sorted(def.header().begin(), def.header().end());
      for (const auto& [k, v] : sorted) header[k] = strings_json(v.values());
      out["Header"] = header;
    }
    if (!def.body().empty()) out["Body"] = def.body();
    out["TLSSkipVerify"] = def.tls_skip_verify();
  }
  if (!def.tcp().empty()) out["TCP"] = def.tcp();
  if (def.args_size() > 0) out["Args"] = strings_json(def.args());
  if (def.ttl_ms() > 0) out["TTL"] = format_go_duration(def.ttl_ms());
  if (def.interval_ms() > 0) out["Interval"] = format_go_duration(def.interval_ms());
  if (def.timeout_ms() > 0) out["Timeout"] = format_go_duration(def.timeout_ms());
  if (def.deregister_critical_service_after_ms() > 0) {
    out["DeregisterCriticalServiceAfter"] =
        format_go_duration(def.deregister_critical_service_after_ms());
  }
  return out;
}

Result<proto::Service> parse_service_fields(const ordered_json& body, std::string_view id_field,
                                            std::string_view name_field) {
  proto::Service service;
  SYNOD_RETURN_IF_ERROR(read_string(body, id_field, service.mutable_id()));
  SYNOD_RETURN_IF_ERROR(read_string(body, name_field, service.mutable_service()));
  SYNOD_RETURN_IF_ERROR(read_strings(body, "Tags", service.mutable_tags()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Address", service.mutable_address()));
  std::uint32_t port = 0;
  SYNOD_RETURN_IF_ERROR(read_uint(body, "Port", &port));
  service.set_port(port);
  SYNOD_RETURN_IF_ERROR(read_string_map(body, "Meta", service.mutable_meta()));
  bool tag_override = false;
  SYNOD_RETURN_IF_ERROR(read_bool(body, "EnableTagOverride", &tag_override));
  service.set_enable_tag_override(tag_override);
  SYNOD_RETURN_IF_ERROR(read_string(body, "Kind", service.mutable_kind()));
  SYNOD_RETURN_IF_ERROR(read_weights(body, "Weights", &service));
  if (service.service().empty()) return invalid_argument("Missing service name");
  if (service.id().empty()) service.set_id(service.service());
  return service;
}

Result<ordered_json> object_body(const ordered_json& body) {
  if (!body.is_object())
    return invalid_argument("Request decode failed: body must be a JSON object");
  return body;
}

}  // namespace

std::string format_go_duration(std::uint64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  const std::uint64_t hours = ms / 3'600'000;
  const std::uint64_t minutes = (ms / 60'000) % 60;
  const std::uint64_t millis = ms % 60'000;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  if (ms < 1000) return std::to_string(ms) + "ms";
  char seconds[32];
  if (millis % 1000 == 0) {
    std::snprintf(seconds, sizeof seconds, "%llus", static_cast<unsigned long long>(millis / 1000));
  } else {
    std::snprintf(seconds, sizeof seconds, "%llu.%03llu",
                  static_cast<unsigned long long>(millis / 1000),
                  static_cast<unsigned long long>(millis % 1000));
    std::string s = seconds;
    while (s.back() == '0') s.pop_back();
    return out + s + "s";
  }
  return out + seconds;
}

Result<std::uint64_t> duration_ms_field(const ordered_json& value, std::string_view name) {
  if (value.is_number_unsigned() || value.is_number_integer()) {
    const auto ns = value.get<std::int64_t>();
    if (ns < 0) return type_error(name, "a non-negative duration");
    return static_cast<std::uint64_t>(ns) / 1'000'000;
  }
  if (!value.is_string()) return type_error(name, "a duration (\"10s\")");
  const auto text = value.get<std::string>();
  if (text.empty()) return std::uint64_t{0};
  auto parsed = http::parse_go_duration(text);
  if (!parsed) {
    return invalid_argument("Request decode failed: field \"" + std::string(name) +
                            "\": invalid duration \"" + text + "\"");
  }
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(*parsed).count());
}

}  // namespace synod::node::registry

namespace synod::node::registry {

Result<proto::CatalogRegister> parse_agent_service(const ordered_json& body,
                                                   const AgentNode& agent) {
  SYNOD_RETURN_IF_ERROR(object_body(body).status());
  SYNOD_ASSIGN_OR_RETURN(proto::Service service, parse_service_fields(body, "ID", "Name"));
  service.set_node(agent.name);
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(agent.name);
  reg.mutable_node()->set_id(agent.id);
  reg.mutable_node()->set_address(agent.address);
  reg.mutable_node()->set_datacenter(agent.datacenter);
  reg.set_skip_node_update(true);
  std::vector<ordered_json> checks;
  if (const auto* one = field(body, "Check")) checks.push_back(*one);
  if (const auto* many = field(body, "Checks")) {
    if (!many->is_array()) return type_error("Checks", "an array");
    for (const auto& c : *many) checks.push_back(c);
  }
  std::size_t n = 0;
  for (const auto& c : checks) {
    ++n;
    if (c.is_object() && c.empty()) continue;  // Consul ignores an empty Check
    SYNOD_ASSIGN_OR_RETURN(proto::HealthCheck check, parse_check_body(c));
    if (check.check_id().empty()) {
      check.set_check_id("service:" + service.id() +
                         (checks.size() > 1 ? ":" + std::to_string(n) : ""));
    }
    if (check.name().empty()) check.set_name("Service '" + service.service() + "' check");
    if (check.type().empty()) {
      return invalid_argument("Invalid check: TTL, Args, HTTP or TCP must be set");
    }
    check.set_service_id(service.id());
    check.set_node(agent.name);
    *reg.add_checks() = std::move(check);
  }
  *reg.mutable_service() = std::move(service);
  return reg;
}

Result<proto::HealthCheck> parse_agent_check(const ordered_json& body, const AgentNode& agent) {
  SYNOD_RETURN_IF_ERROR(object_body(body).status());
  SYNOD_ASSIGN_OR_RETURN(proto::HealthCheck check, parse_check_body(body));
  if (check.name().empty()) return invalid_argument("Missing check name");
  if (check.check_id().empty()) check.set_check_id(check.name());
  if (check.type().empty())
    return invalid_argument("Invalid check: TTL, Args, HTTP or TCP must be set");
  check.set_node(agent.name);
  return check;
}

Result<proto::CatalogRegister> parse_catalog_register(const ordered_json& body) {
  SYNOD_RETURN_IF_ERROR(object_body(body).status());
  proto::CatalogRegister reg;
  auto* node = reg.mutable_node();
  SYNOD_RETURN_IF_ERROR(read_string(body, "Node", node->mutable_node()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "ID", node->mutable_id()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Address", node->mutable_address()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Datacenter", node->mutable_datacenter()));
  SYNOD_RETURN_IF_ERROR(read_string_map(body, "TaggedAddresses", node->mutable_tagged_addresses()));
  SYNOD_RETURN_IF_ERROR(read_string_map(body, "NodeMeta", node->mutable_meta()));
  bool skip_node_update = false;
  SYNOD_RETURN_IF_ERROR(read_bool(body, "SkipNodeUpdate", &skip_node_update));
  reg.set_skip_node_update(skip_node_update);
  if (node->node().empty()) return invalid_argument("Must provide node");
  if (node->address().empty() && !reg.skip_node_update()) {
    return invalid_argument("Must provide address if SkipNodeUpdate is not set");
  }
  if (const auto* s = field(body, "Service")) {
    if (!s->is_object()) return type_error("Service", "an object");
    SYNOD_ASSIGN_OR_RETURN(proto::Service service, parse_service_fields(*s, "ID", "Service"));
    service.set_node(node->node());
    *reg.mutable_service() = std::move(service);
  }
  std::vector<ordered_json> checks;
  if (const auto* one = field(body, "Check")) checks.push_back(*one);
  if (const auto* many = field(body, "Checks")) {
    if (!many->is_array()) return type_error("Checks", "an array");
    for (const auto& c : *many) checks.push_back(c);
  }
  for (const auto& c : checks) {
    if (!c.is_object()) return type_error("Checks", "an array of objects");
    proto::HealthCheck check;
    SYNOD_RETURN_IF_ERROR(read_string(c, "CheckID", check.mutable_check_id()));
    SYNOD_RETURN_IF_ERROR(read_string(c, "Name", check.mutable_name()));
    SYNOD_RETURN_IF_ERROR(read_string(c, "Notes", check.mutable_notes()));
    SYNOD_RETURN_IF_ERROR(read_string(c, "Output", check.mutable_output()));
    SYNOD_RETURN_IF_ERROR(read_string(c, "ServiceID", check.mutable_service_id()));
    SYNOD_RETURN_IF_ERROR(read_string(c, "Type", check.mutable_type()));
    proto::HealthStatus status = proto::HEALTH_CRITICAL;
    SYNOD_RETURN_IF_ERROR(read_status(c, &status));
    check.set_status(status);
    if (const auto* def = field(c, "Definition")) {
      if (!def->is_object()) return type_error("Definition", "an object");
      SYNOD_RETURN_IF_ERROR(read_definition(*def, check.mutable_definition()));
    }
    if (check.check_id().empty()) check.set_check_id(check.name());
    if (check.check_id().empty()) return invalid_argument("Missing check ID or name");
    check.set_node(node->node());
    *reg.add_checks() = std::move(check);
  }
  return reg;
}

Result<proto::CatalogDeregister> parse_catalog_deregister(const ordered_json& body) {
  SYNOD_RETURN_IF_ERROR(object_body(body).status());
  proto::CatalogDeregister out;
  SYNOD_RETURN_IF_ERROR(read_string(body, "Node", out.mutable_node()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "ServiceID", out.mutable_service_id()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "CheckID", out.mutable_check_id()));
  if (out.node().empty()) return invalid_argument("Must provide node");
  return out;
}

Result<proto::Session> parse_session_create(const ordered_json& body,
                                            const std::string& agent_node) {
  proto::Session session;
  if (body.is_null()) {  // an empty body: every default
    session.set_node(agent_node);
    state::apply_session_defaults(session, false, false);
    return session;
  }
  SYNOD_RETURN_IF_ERROR(object_body(body).status());
  SYNOD_RETURN_IF_ERROR(read_string(body, "Name", session.mutable_name()));
  SYNOD_RETURN_IF_ERROR(read_string(body, "Node", session.mutable_node()));
  if (session.node().empty()) session.set_node(agent_node);
  std::string behavior;
  SYNOD_RETURN_IF_ERROR(read_string(body, "Behavior", &behavior));
  if (!behavior.empty()) {
    auto parsed = state::session_behavior_from_name(behavior);
    if (!parsed) return invalid_argument("Invalid Behavior setting '" + behavior + "'");
    session.set_behavior(*parsed);
  }
  std::string ttl;
  if (const auto* t = field(body, "TTL")) {
    if (!t->is_string()) return type_error("TTL", "a duration string (\"30s\")");
    ttl = t->get<std::string>();
  }
  if (!ttl.empty()) {
    auto parsed = http::parse_go_duration(ttl);
    if (!parsed) return invalid_argument("Request decode failed: invalid TTL \"" + ttl + "\"");
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(*parsed).count());
    if (ms != 0 && (ms < state::kMinSessionTtlMs || ms > state::kMaxSessionTtlMs)) {
      return invalid_argument("Invalid Session TTL '" + ttl + "', must be between [10s=24h0m0s]");
    }
    session.set_ttl_ms(ms);
  }
  const auto* delay = field(body, "LockDelay");
  if (delay != nullptr) {
    std::uint64_t ms = 0;
    if (delay->is_number()) {
      // Consul: a small number is seconds, a large one nanoseconds.
      const double v = delay->get<double>();
      if (v < 0) return type_error("LockDelay", "a non-negative duration");
      ms = v < 1000 ? static_cast<std::uint64_t>(v * 1000) : static_cast<std::uint64_t>(v / 1e6);
    } else {
      SYNOD_ASSIGN_OR_RETURN(ms, duration_ms_field(*delay, "LockDelay"));
    }
    if (ms > state::kMaxLockDelayMs) {
      return invalid_argument("Invalid LockDelay: must be at most 60s");
    }
    session.set_lock_delay_ms(ms);
  }
  SYNOD_RETURN_IF_ERROR(read_strings(body, "Checks", session.mutable_checks()));
  SYNOD_RETURN_IF_ERROR(read_strings(body, "NodeChecks", session.mutable_node_checks()));
  if (const auto* sc = field(body, "ServiceChecks")) {
    if (!sc->is_array()) return type_error("ServiceChecks", "an array");
    for (const auto& ref : *sc) {
      if (!ref.is_object()) return type_error("ServiceChecks", "an array of {\"ID\": ...}");
      auto* out = session.add_service_checks();
      SYNOD_RETURN_IF_ERROR(read_string(ref, "ID", out->mutable_id()));
      SYNOD_RETURN_IF_ERROR(read_string(ref, "Namespace", out->mutable_namespace_()));
    }
  }
  const bool checks_given = field(body, "Checks") != nullptr ||
                            field(body, "NodeChecks") != nullptr ||
                            field(body, "ServiceChecks") != nullptr;
  state::apply_session_defaults(session, delay != nullptr, checks_given);
  return session;
}

ordered_json node_json(const proto::Node& node) {
  return ordered_json{{"ID", node.id()},
                      {"Node", node.node()},
                      {"Address", node.address()},
                      {"Datacenter", node.datacenter()},
                      {"TaggedAddresses", string_map_json(node.tagged_addresses())},
                      {"Meta", string_map_json(node.meta())},
                      {"CreateIndex", node.create_index()},
                      {"ModifyIndex", node.modify_index()}};
}

ordered_json check_json(const proto::HealthCheck& check) {
  return ordered_json{{"Node", check.node()},
                      {"CheckID", check.check_id()},
                      {"Name", check.name()},
                      {"Status", std::string(state::health_status_name(check.status()))},
                      {"Notes", check.notes()},
                      {"Output", check.output()},
                      {"ServiceID", check.service_id()},
                      {"ServiceName", check.service_name()},
                      {"ServiceTags", strings_json(check.service_tags())},
                      {"Type", check.type()},
                      {"Definition", definition_json(check.definition())},
                      {"CreateIndex", check.create_index()},
                      {"ModifyIndex", check.modify_index()}};
}

ordered_json agent_service_json(const proto::Service& service, const std::string& datacenter) {
  ordered_json out{{"ID", service.id()},
                   {"Service", service.service()},
                   {"Tags", strings_json(service.tags())},
                   {"Meta", string_map_json(service.meta())},
                   {"Port", service.port()},
                   {"Address", service.address()},
                   {"Weights", weights_json(service)},
                   {"EnableTagOverride", service.enable_tag_override()}};
  if (!service.kind().empty()) out["Kind"] = service.kind();
  if (!datacenter.empty()) out["Datacenter"] = datacenter;
  out["CreateIndex"] = service.create_index();
  out["ModifyIndex"] = service.modify_index();
  return out;
}

ordered_json catalog_service_json(const proto::Node& node, const proto::Service& service) {
  return ordered_json{{"ID", node.id()},
                      {"Node", node.node()},
                      {"Address", node.address()},
                      {"Datacenter", node.datacenter()},
                      {"TaggedAddresses", string_map_json(node.tagged_addresses())},
                      {"NodeMeta", string_map_json(node.meta())},
                      {"ServiceKind", service.kind()},
                      {"ServiceID", service.id()},
                      {"ServiceName", service.service()},
                      {"ServiceTags", strings_json(service.tags())},
                      {"ServiceAddress", service.address()},
                      {"ServiceWeights", weights_json(service)},
                      {"ServiceMeta", string_map_json(service.meta())},
                      {"ServicePort", service.port()},
                      {"ServiceEnableTagOverride", service.enable_tag_override()},
                      {"CreateIndex", service.create_index()},
                      {"ModifyIndex", service.modify_index()}};
}

ordered_json service_entry_json(const state::ServiceHealth& entry) {
  ordered_json checks = ordered_json::array();
  for (const auto* c : entry.checks) checks.push_back(check_json(*c));
  return ordered_json{{"Node", node_json(*entry.node)},
                      {"Service", agent_service_json(*entry.service, "")},
                      {"Checks", std::move(checks)}};
}

ordered_json session_json(const proto::Session& session) {
  ordered_json service_checks = ordered_json::array();
  for (const auto& ref : session.service_checks()) {
    service_checks.push_back(ordered_json{{"ID", ref.id()}, {"Namespace", ref.namespace_()}});
  }
  return ordered_json{
      {"ID", session.id()},
      {"Name", session.name()},
      {"Node", session.node()},
      {"LockDelay", session.lock_delay_ms() * 1'000'000},  // nanoseconds, as Consul
      {"Behavior", std::string(state::session_behavior_name(session.behavior()))},
      {"TTL", session.ttl_ms() == 0 ? std::string() : format_go_duration(session.ttl_ms())},
      {"NodeChecks", strings_json(session.node_checks())},
      {"ServiceChecks",
       session.service_checks_size() == 0 ? ordered_json(nullptr) : service_checks},
      {"CreateIndex", session.create_index()},
      {"ModifyIndex", session.modify_index()}};
}

}  // namespace synod::node::registry
