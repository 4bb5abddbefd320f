// CatalogTable: the replicated catalog of nodes, service instances and
// health checks (Consul's /v1/catalog and /v1/health model).
//
// Records: kNodes key "<node>", kServices key "<node>/<service id>", kChecks
// key "<node>/<check id>" (node names never contain '/'), values the
// registry.proto messages; per-resource indexes (registry_resources.h) as
// kMeta "catalog/index/<resource>".
//
// Reads return pointers into the table: valid until the next write. Orders
// are deterministic: nodes by name, services by (node, id), checks by
// (node, check id). Read costs: by node or by service name O(log n + k);
// services() and checks_in_state() walk every instance/check.
//
// Writes happen only through the registry apply path (registry_apply.h),
// which also enforces the cross-table rules (sessions, KV locks).
//
// Threading: as StateStore (one owner thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/resource_indexes.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

// ?tag= (every listed tag present) and ?node-meta=key:value (every pair
// equal) filters of the catalog and health endpoints.
struct InstanceFilter {
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> node_meta;
};

struct ServiceInstance {
  const proto::Node* node = nullptr;  // never null in a result
  const proto::Service* service = nullptr;
};

// One entry of /v1/health/service/:s: the instance, its node and the node's
// checks followed by the instance's own checks (each group by check id).
struct ServiceHealth {
  const proto::Node* node = nullptr;
  const proto::Service* service = nullptr;
  std::vector<const proto::HealthCheck*> checks;
};

// Applies a write's side effects on indexes and records.
struct CatalogWriteContext {
  std::uint64_t index = 0;       // the log index being applied
  ChangeSet* changes = nullptr;  // required
};

class CatalogTable final : public StateTable {
 public:
  CatalogTable();

  // ---- Reads ----
  [[nodiscard]] const proto::Node* node(std::string_view name) const;
  // Ascending by name; only nodes whose Meta has every filter pair.
  [[nodiscard]] std::vector<const proto::Node*> nodes(const InstanceFilter& filter = {}) const;
  // The node's services (by id) and checks (node and service checks, by id).
  [[nodiscard]] std::vector<const proto::Service*> node_services(std::string_view node) const;
  [[nodiscard]] std::vector<const proto::HealthCheck*> node_checks(std::string_view node) const;
  [[nodiscard]] const proto::Service* service(std::string_view node,
                                              std::string_view service_id) const;
  [[nodiscard]] const proto::HealthCheck* check(std::string_view node,
                                                std::string_view check_id) const;
  // /v1/catalog/services: service name -> its instances' tags (sorted,
  // unique); only instances on nodes matching filter.node_meta. Without a
  // filter O(names + tags), with one it walks every instance.
  [[nodiscard]] std::map<std::string, std::vector<std::string>> services(
      const InstanceFilter& filter = {}) const;
  // /v1/catalog/service/:s, by (node, id).
  [[nodiscard]] std::vector<ServiceInstance> service_instances(
      std::string_view name, const InstanceFilter& filter = {}) const;
  // /v1/health/service/:s; passing_only (?passing) drops instances with any
  // check (node or service) not passing.
  [[nodiscard]] std::vector<ServiceHealth> service_health(std::string_view name,
                                                          const InstanceFilter& filter = {},
                                                          bool passing_only = false) const;
  // /v1/health/checks/:s: the checks of every instance of the service.
  [[nodiscard]] std::vector<const proto::HealthCheck*> service_checks(std::string_view name) const;
  // /v1/health/state/:state; nullopt = "any".
  [[nodiscard]] std::vector<const proto::HealthCheck*> checks_in_state(
      std::optional<proto::HealthStatus> status) const;

  [[nodiscard]] std::size_t node_count() const { return nodes_.size(); }
  [[nodiscard]] std::size_t instance_count() const { return services_.size(); }
  [[nodiscard]] std::size_t check_count() const { return checks_.size(); }
  [[nodiscard]] std::size_t service_name_count() const { return by_name_.size(); }

  // X-Consul-Index for a resource (registry_resources.h): its index, else the
  // "catalog" index; never 0.
  [[nodiscard]] std::uint64_t index(std::string_view resource) const;
  // The raw index of a resource, 0 if it never changed.
  [[nodiscard]] std::uint64_t raw_index(std::string_view resource) const {
    return indexes_.get(resource);
  }

  // ---- Writes (registry apply path only; arguments already validated) ----
  // Upserts; an identical record (ignoring indexes) changes nothing. Return
  // true if something changed.
  bool put_node(proto::Node node, const CatalogWriteContext& ctx);
  bool put_service(proto::Service service, const CatalogWriteContext& ctx);
  // Fills service_name/service_tags from the check's service. Returns the
  // previous status (nullopt if the check is new) through `previous`.
  bool put_check(proto::HealthCheck check, const CatalogWriteContext& ctx,
                 std::optional<proto::HealthStatus>* previous = nullptr);
  // Status and output only. False if the check does not exist or nothing
  // changed.
  bool set_check_status(std::string_view node, std::string_view check_id,
                        proto::HealthStatus status, std::string_view output,
                        const CatalogWriteContext& ctx);
  // Removes the service and its checks (their ids appended to removed_checks).
  bool remove_service(std::string_view node, std::string_view service_id,
                      const CatalogWriteContext& ctx, std::vector<std::string>* removed_checks);
  bool remove_check(std::string_view node, std::string_view check_id,
                    const CatalogWriteContext& ctx);
  // Removes the node with its services and checks.
  bool remove_node(std::string_view node, const CatalogWriteContext& ctx,
                   std::vector<std::string>* removed_checks);
  // The name of the node holding node-ID `id` (empty if none).
  [[nodiscard]] std::string node_with_id(std::string_view id) const;

  // ---- StateTable ----
  [[nodiscard]] std::string_view owner() const override { return "catalog"; }
  [[nodiscard]] bool owns(RecordTable table) const override;
  void emit_records(const RecordSink& sink) const override;
  void emit_keys(const KeySink& sink) const override;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const override;
  Status load_record(RecordTable table, std::string_view key, ByteView value) override;
  void clear() override;

 private:
  void bump(std::string_view resource, const CatalogWriteContext& ctx);
  void bump_service_watchers(std::string_view node, const CatalogWriteContext& ctx);
  void bump_check(const proto::HealthCheck& check, std::optional<proto::HealthStatus> old_status,
                  const CatalogWriteContext& ctx);
  void erase_check(std::map<std::string, proto::HealthCheck, std::less<>>::iterator it,
                   const CatalogWriteContext& ctx);
  void index_service(const std::string& key, const proto::Service& service);
  void index_check(const std::string& key, const proto::HealthCheck& check);
  void unindex_check(const std::string& key, const proto::HealthCheck& check);
  // The checks of one instance (service_id empty: the node's own checks),
  // ascending by check id.
  template <typename Visit>
  void for_each_check_of(std::string_view node, std::string_view service_id, Visit visit) const;
  void unindex_service(const std::string& key, const proto::Service& service);
  [[nodiscard]] bool node_matches(const proto::Node& node, const InstanceFilter& filter) const;

  std::map<std::string, proto::Node, std::less<>> nodes_;
  std::map<std::string, proto::Service, std::less<>> services_;    // "<node>/<id>"
  std::map<std::string, proto::HealthCheck, std::less<>> checks_;  // "<node>/<check id>"
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_name_;  // name -> keys
  // name -> tag -> how many instances carry it (services() without a filter).
  std::map<std::string, std::map<std::string, std::size_t, std::less<>>, std::less<>> tags_;
  std::map<std::string, std::string, std::less<>> node_ids_;  // node ID -> node name
  // "<node>/<service id>" ("<node>/" for node checks) -> check keys.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> checks_by_owner_;
  ResourceIndexes indexes_;
};

// "<node>/<id>": the services/checks record key.
std::string catalog_key(std::string_view node, std::string_view id);

}  // namespace synod::consensus::state
