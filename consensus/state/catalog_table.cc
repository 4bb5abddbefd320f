#include "consensus/state/catalog_table.h"

#include <algorithm>
#include <utility>

#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"

namespace synod::consensus::state {
namespace {

// Visits the elements of a key-sorted map whose key starts with prefix.
template <typename Map, typename Visit>
void for_each_under(Map& map, std::string_view prefix, Visit visit) {
  for (auto it = map.lower_bound(prefix);
       it != map.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    visit(it->second);
  }
}

std::string node_prefix(std::string_view node) {
  std::string prefix(node);
  prefix.push_back('/');
  return prefix;
}

std::string joined(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out.append(item);
  }
  return out;
}

RecordColumn text_or_null(const std::string& text) {
  if (text.empty()) return std::monostate{};
  return text;
}

RecordColumn integer(std::uint64_t value) { return static_cast<std::int64_t>(value); }

// Columns in persistence's schema order (docs/state-machine.md).
StateRecord node_record(const proto::Node& node) {
  StateRecord record;
  record.key = node.node();
  record.columns = {text_or_null(node.id()), text_or_null(node.address()),
                    text_or_null(node.datacenter()), integer(node.modify_index())};
  record.value = encode_deterministic(node);
  return record;
}

StateRecord service_record(const std::string& key, const proto::Service& service) {
  StateRecord record;
  record.key = key;
  record.columns = {service.node(),
                    service.id(),
                    service.service(),
                    text_or_null(service.address()),
                    integer(service.port()),
                    joined(service.tags()),
                    integer(service.modify_index())};
  record.value = encode_deterministic(service);
  return record;
}

StateRecord check_record(const std::string& key, const proto::HealthCheck& check) {
  StateRecord record;
  record.key = key;
  record.columns = {check.node(),
                    check.check_id(),
                    check.name(),
                    std::string(health_status_name(check.status())),
                    text_or_null(check.service_id()),
                    integer(check.modify_index())};
  record.value = encode_deterministic(check);
  return record;
}

// Equal apart from the indexes (an identical re-registration is a no-op).
template <typename Message>
bool same_content(const Message& current, Message next) {
  next.set_create_index(current.create_index());
  next.set_modify_index(current.modify_index());
  return encode_deterministic(current) == encode_deterministic(next);
}

template <typename Message>
Status parse_record(std::string_view what, std::string_view key, ByteView value, Message* message) {
  if (!message->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return corruption(std::string(what) + " record \"" + std::string(key) + "\" does not decode");
  }
  return Status::ok();
}

bool has_all_tags(const proto::Service& service, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(service.tags().begin(), service.tags().end(), tag) != service.tags().end();
  });
}

}  // namespace

std::string catalog_key(std::string_view node, std::string_view id) {
  std::string key = node_prefix(node);
  key.append(id);
  return key;
}

CatalogTable::CatalogTable() : indexes_("catalog") {}

// ---------------------------------------------------------------- reads

const proto::Node* CatalogTable::node(std::string_view name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

bool CatalogTable::node_matches(const proto::Node& node, const InstanceFilter& filter) const {
  for (const auto& [key, value] : filter.node_meta) {
    auto it = node.meta().find(key);
    if (it == node.meta().end() || it->second != value) return false;
  }
  return true;
}

std::vector<const proto::Node*> CatalogTable::nodes(const InstanceFilter& filter) const {
  std::vector<const proto::Node*> out;
  out.reserve(nodes_.size());
  for (const auto& [name, node] : nodes_) {
    if (node_matches(node, filter)) out.push_back(&node);
  }
  return out;
}

std::vector<const proto::Service*> CatalogTable::node_services(std::string_view node) const {
  std::vector<const proto::Service*> out;
  for_each_under(services_, node_prefix(node),
                 [&](const proto::Service& service) { out.push_back(&service); });
  return out;
}

std::vector<const proto::HealthCheck*> CatalogTable::node_checks(std::string_view node) const {
  std::vector<const proto::HealthCheck*> out;
  for_each_under(checks_, node_prefix(node),
                 [&](const proto::HealthCheck& check) { out.push_back(&check); });
  return out;
}

const proto::Service* CatalogTable::service(std::string_view node,
                                            std::string_view service_id) const {
  auto it = services_.find(catalog_key(node, service_id));
  return it == services_.end() ? nullptr : &it->second;
}

const proto::HealthCheck* CatalogTable::check(std::string_view node,
                                              std::string_view check_id) const {
  auto it = checks_.find(catalog_key(node, check_id));
  return it == checks_.end() ? nullptr : &it->second;
}

std::map<std::string, std::vector<std::string>> CatalogTable::services(
    const InstanceFilter& filter) const {
  std::map<std::string, std::vector<std::string>> out;
  if (filter.node_meta.empty()) {
    for (const auto& [name, keys] : by_name_) {
      std::vector<std::string>& tags = out[name];
      auto counted = tags_.find(name);
      if (counted == tags_.end()) continue;
      for (const auto& [tag, count] : counted->second) tags.push_back(tag);
    }
    return out;
  }
  for (const auto& [name, keys] : by_name_) {
    std::set<std::string> tags;
    bool any = false;
    for (const auto& key : keys) {
      const proto::Service& service = services_.find(key)->second;
      if (!filter.node_meta.empty()) {
        const proto::Node* owner = node(service.node());
        if (owner == nullptr || !node_matches(*owner, filter)) continue;
      }
      any = true;
      tags.insert(service.tags().begin(), service.tags().end());
    }
    if (any) out.emplace(name, std::vector<std::string>(tags.begin(), tags.end()));
  }
  return out;
}

std::vector<ServiceInstance> CatalogTable::service_instances(std::string_view name,
                                                             const InstanceFilter& filter) const {
  std::vector<ServiceInstance> out;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return out;
  for (const auto& key : it->second) {
    const proto::Service& service = services_.find(key)->second;
    if (!has_all_tags(service, filter.tags)) continue;
    const proto::Node* owner = node(service.node());
    if (owner == nullptr || !node_matches(*owner, filter)) continue;
    out.push_back({owner, &service});
  }
  return out;
}

template <typename Visit>
void CatalogTable::for_each_check_of(std::string_view node, std::string_view service_id,
                                     Visit visit) const {
  auto owner = checks_by_owner_.find(catalog_key(node, service_id));
  if (owner == checks_by_owner_.end()) return;
  for (const auto& key : owner->second) visit(checks_.find(key)->second);
}

void CatalogTable::index_check(const std::string& key, const proto::HealthCheck& check) {
  checks_by_owner_[catalog_key(check.node(), check.service_id())].insert(key);
}

void CatalogTable::unindex_check(const std::string& key, const proto::HealthCheck& check) {
  auto it = checks_by_owner_.find(catalog_key(check.node(), check.service_id()));
  if (it == checks_by_owner_.end()) return;
  auto entry = it->second.find(key);
  if (entry != it->second.end()) it->second.erase(entry);
  if (it->second.empty()) checks_by_owner_.erase(it);
}

std::vector<ServiceHealth> CatalogTable::service_health(std::string_view name,
                                                        const InstanceFilter& filter,
                                                        bool passing_only) const {
  std::vector<ServiceHealth> out;
  for (const ServiceInstance& instance : service_instances(name, filter)) {
    ServiceHealth health{instance.node, instance.service, {}};
    auto add = [&](const proto::HealthCheck& check) { health.checks.push_back(&check); };
    for_each_check_of(instance.node->node(), {}, add);
    for_each_check_of(instance.node->node(), instance.service->id(), add);
    if (passing_only &&
        std::any_of(health.checks.begin(), health.checks.end(), [](const proto::HealthCheck* c) {
          return c->status() != proto::HEALTH_PASSING;
        })) {
      continue;
    }
    out.push_back(std::move(health));
  }
  return out;
}

std::vector<const proto::HealthCheck*> CatalogTable::service_checks(std::string_view name) const {
  std::vector<const proto::HealthCheck*> out;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return out;
  for (const auto& key : it->second) {
    const proto::Service& service = services_.find(key)->second;
    for_each_check_of(service.node(), service.id(),
                      [&](const proto::HealthCheck& check) { out.push_back(&check); });
  }
  return out;
}

std::vector<const proto::HealthCheck*> CatalogTable::checks_in_state(
    std::optional<proto::HealthStatus> status) const {
  std::vector<const proto::HealthCheck*> out;
  for (const auto& [key, check] : checks_) {
    if (!status || check.status() == *status) out.push_back(&check);
  }
  return out;
}

std::uint64_t CatalogTable::index(std::string_view resource) const {
  std::uint64_t value = indexes_.get(resource);
  if (value == 0) value = indexes_.get(resources::kCatalog);
  return std::max<std::uint64_t>(value, 1);
}

std::string CatalogTable::node_with_id(std::string_view id) const {
  auto it = node_ids_.find(id);
  return it == node_ids_.end() ? std::string() : it->second;
}

// ---------------------------------------------------------------- writes

void CatalogTable::bump(std::string_view resource, const CatalogWriteContext& ctx) {
  indexes_.bump(resource, ctx.index, *ctx.changes);
}

// Health and catalog reads of a service show its node (and the node's
// checks), so a node-level change moves every service hosted there.
void CatalogTable::bump_service_watchers(std::string_view node, const CatalogWriteContext& ctx) {
  for_each_under(services_, node_prefix(node), [&](const proto::Service& service) {
    bump(resources::service(service.service()), ctx);
  });
}

void CatalogTable::bump_check(const proto::HealthCheck& check,
                              std::optional<proto::HealthStatus> old_status,
                              const CatalogWriteContext& ctx) {
  ctx.changes->mark(RecordTable::kChecks, catalog_key(check.node(), check.check_id()));
  bump(resources::kCatalog, ctx);
  bump(resources::kChecks, ctx);
  bump(resources::node(check.node()), ctx);
  if (old_status && *old_status != check.status()) bump(resources::state(*old_status), ctx);
  bump(resources::state(check.status()), ctx);
  if (check.service_id().empty()) {
    bump_service_watchers(check.node(), ctx);
  } else if (const proto::Service* owner = service(check.node(), check.service_id())) {
    bump(resources::service(owner->service()), ctx);
  }
}

void CatalogTable::index_service(const std::string& key, const proto::Service& service) {
  by_name_[service.service()].insert(key);
  // Each distinct tag of the instance counts once.
  std::set<std::string_view> tags(service.tags().begin(), service.tags().end());
  if (tags.empty()) return;
  auto& counts = tags_[service.service()];
  for (std::string_view tag : tags) {
    auto it = counts.find(tag);
    if (it == counts.end()) {
      counts.emplace(std::string(tag), 1);
    } else {
      ++it->second;
    }
  }
}

void CatalogTable::unindex_service(const std::string& key, const proto::Service& service) {
  auto it = by_name_.find(service.service());
  if (it == by_name_.end()) return;
  auto entry = it->second.find(key);
  if (entry != it->second.end()) it->second.erase(entry);
  if (it->second.empty()) by_name_.erase(it);
  auto counts = tags_.find(service.service());
  if (counts == tags_.end()) return;
  std::set<std::string_view> tags(service.tags().begin(), service.tags().end());
  for (std::string_view tag : tags) {
    auto tag_it = counts->second.find(tag);
    if (tag_it == counts->second.end()) continue;
    if (--tag_it->second == 0) counts->second.erase(tag_it);
  }
  if (counts->second.empty()) tags_.erase(counts);
}

bool CatalogTable::put_node(proto::Node node, const CatalogWriteContext& ctx) {
  const std::string name = node.node();
  auto it = nodes_.find(name);
  if (it != nodes_.end()) {
    if (same_content(it->second, node)) return false;
    node.set_create_index(it->second.create_index());
    if (!it->second.id().empty()) node_ids_.erase(it->second.id());
  } else {
    node.set_create_index(ctx.index);
  }
  node.set_modify_index(ctx.index);
  if (!node.id().empty()) node_ids_[node.id()] = name;
  nodes_.insert_or_assign(name, std::move(node));
  ctx.changes->mark(RecordTable::kNodes, name);
  bump(resources::kCatalog, ctx);
  bump(resources::kNodes, ctx);
  bump(resources::node(name), ctx);
  bump_service_watchers(name, ctx);
  return true;
}

bool CatalogTable::put_service(proto::Service service, const CatalogWriteContext& ctx) {
  const std::string key = catalog_key(service.node(), service.id());
  auto it = services_.find(key);
  if (it != services_.end()) {
    if (same_content(it->second, service)) return false;
    service.set_create_index(it->second.create_index());
    if (it->second.service() != service.service()) {
      bump(resources::service(it->second.service()), ctx);
    }
    unindex_service(key, it->second);
  } else {
    service.set_create_index(ctx.index);
  }
  service.set_modify_index(ctx.index);
  index_service(key, service);
  // Checks of the instance carry its name and tags.
  std::vector<std::string> own_checks;
  for_each_check_of(service.node(), service.id(), [&](const proto::HealthCheck& check) {
    own_checks.push_back(catalog_key(check.node(), check.check_id()));
  });
  for (const auto& check_key : own_checks) {
    proto::HealthCheck& check = checks_.find(check_key)->second;
    const bool same_tags = std::equal(check.service_tags().begin(), check.service_tags().end(),
                                      service.tags().begin(), service.tags().end());
    if (check.service_name() == service.service() && same_tags) continue;
    check.set_service_name(service.service());
    *check.mutable_service_tags() = service.tags();
    check.set_modify_index(ctx.index);
    ctx.changes->mark(RecordTable::kChecks, check_key);
    bump(resources::kChecks, ctx);
  }
  const std::string name = service.service();
  const std::string node_name = service.node();
  services_.insert_or_assign(key, std::move(service));
  ctx.changes->mark(RecordTable::kServices, key);
  bump(resources::kCatalog, ctx);
  bump(resources::kServices, ctx);
  bump(resources::service(name), ctx);
  bump(resources::node(node_name), ctx);
  return true;
}

bool CatalogTable::put_check(proto::HealthCheck check, const CatalogWriteContext& ctx,
                             std::optional<proto::HealthStatus>* previous) {
  if (check.status() == proto::HEALTH_UNSPECIFIED) check.set_status(proto::HEALTH_CRITICAL);
  check.clear_service_name();
  check.clear_service_tags();
  if (!check.service_id().empty()) {
    if (const proto::Service* owner = service(check.node(), check.service_id())) {
      check.set_service_name(owner->service());
      *check.mutable_service_tags() = owner->tags();
    }
  }
  const std::string key = catalog_key(check.node(), check.check_id());
  std::optional<proto::HealthStatus> old_status;
  auto it = checks_.find(key);
  if (it != checks_.end()) {
    old_status = it->second.status();
    if (previous != nullptr) *previous = old_status;
    if (same_content(it->second, check)) return false;
    check.set_create_index(it->second.create_index());
    unindex_check(key, it->second);
    // A check moving to another service (or to the node) leaves the old one.
    if (it->second.service_id() != check.service_id()) {
      if (it->second.service_id().empty()) {
        bump_service_watchers(check.node(), ctx);
      } else if (const proto::Service* old = service(check.node(), it->second.service_id())) {
        bump(resources::service(old->service()), ctx);
      }
    }
  } else {
    check.set_create_index(ctx.index);
  }
  check.set_modify_index(ctx.index);
  index_check(key, check);
  auto stored = checks_.insert_or_assign(key, std::move(check)).first;
  bump_check(stored->second, old_status, ctx);
  return true;
}

bool CatalogTable::set_check_status(std::string_view node, std::string_view check_id,
                                    proto::HealthStatus status, std::string_view output,
                                    const CatalogWriteContext& ctx) {
  auto it = checks_.find(catalog_key(node, check_id));
  if (it == checks_.end()) return false;
  proto::HealthCheck& check = it->second;
  if (check.status() == status && check.output() == output) return false;
  const proto::HealthStatus old_status = check.status();
  check.set_status(status);
  check.set_output(std::string(output));
  check.set_modify_index(ctx.index);
  bump_check(check, old_status, ctx);
  return true;
}

void CatalogTable::erase_check(std::map<std::string, proto::HealthCheck, std::less<>>::iterator it,
                               const CatalogWriteContext& ctx) {
  bump_check(it->second, std::nullopt, ctx);
  unindex_check(it->first, it->second);
  checks_.erase(it);
}

bool CatalogTable::remove_check(std::string_view node, std::string_view check_id,
                                const CatalogWriteContext& ctx) {
  auto it = checks_.find(catalog_key(node, check_id));
  if (it == checks_.end()) return false;
  erase_check(it, ctx);
  return true;
}

bool CatalogTable::remove_service(std::string_view node, std::string_view service_id,
                                  const CatalogWriteContext& ctx,
                                  std::vector<std::string>* removed_checks) {
  const std::string key = catalog_key(node, service_id);
  auto it = services_.find(key);
  if (it == services_.end()) return false;
  std::vector<std::string> doomed;
  for_each_check_of(node, service_id,
                    [&](const proto::HealthCheck& check) { doomed.push_back(check.check_id()); });
  for (const auto& check_id : doomed) {
    remove_check(node, check_id, ctx);
    if (removed_checks != nullptr) removed_checks->push_back(check_id);
  }
  const std::string name = it->second.service();
  unindex_service(key, it->second);
  services_.erase(it);
  ctx.changes->mark(RecordTable::kServices, key);
  bump(resources::kCatalog, ctx);
  bump(resources::kServices, ctx);
  bump(resources::service(name), ctx);
  bump(resources::node(node), ctx);
  return true;
}

bool CatalogTable::remove_node(std::string_view node, const CatalogWriteContext& ctx,
                               std::vector<std::string>* removed_checks) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return false;
  std::vector<std::string> service_ids;
  for_each_under(services_, node_prefix(node),
                 [&](const proto::Service& service) { service_ids.push_back(service.id()); });
  for (const auto& id : service_ids) remove_service(node, id, ctx, removed_checks);
  std::vector<std::string> check_ids;
  for_each_under(checks_, node_prefix(node),
                 [&](const proto::HealthCheck& check) { check_ids.push_back(check.check_id()); });
  for (const auto& id : check_ids) {
    remove_check(node, id, ctx);
    if (removed_checks != nullptr) removed_checks->push_back(id);
  }
  if (!it->second.id().empty()) node_ids_.erase(it->second.id());
  nodes_.erase(it);
  ctx.changes->mark(RecordTable::kNodes, node);
  bump(resources::kCatalog, ctx);
  bump(resources::kNodes, ctx);
  bump(resources::node(node), ctx);
  return true;
}

// ---------------------------------------------------------------- records

bool CatalogTable::owns(RecordTable table) const {
  return table == RecordTable::kNodes || table == RecordTable::kServices ||
         table == RecordTable::kChecks;
}

void CatalogTable::emit_records(const RecordSink& sink) const {
  for (const auto& [key, service] : services_) {
    sink(RecordTable::kServices, service_record(key, service));
  }
  for (const auto& [key, check] : checks_) sink(RecordTable::kChecks, check_record(key, check));
  for (const auto& [name, node] : nodes_) sink(RecordTable::kNodes, node_record(node));
  indexes_.emit_records(sink);
}

void CatalogTable::emit_keys(const KeySink& sink) const {
  for (const auto& [key, service] : services_) sink(RecordTable::kServices, key);
  for (const auto& [key, check] : checks_) sink(RecordTable::kChecks, key);
  for (const auto& [name, node] : nodes_) sink(RecordTable::kNodes, name);
  indexes_.emit_keys(sink);
}

void CatalogTable::records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const {
  for (const auto& key : changes.keys(RecordTable::kServices)) {
    RecordChange change{RecordTable::kServices, key, std::nullopt};
    auto it = services_.find(key);
    if (it != services_.end()) change.record = service_record(key, it->second);
    out.push_back(std::move(change));
  }
  for (const auto& key : changes.keys(RecordTable::kChecks)) {
    RecordChange change{RecordTable::kChecks, key, std::nullopt};
    auto it = checks_.find(key);
    if (it != checks_.end()) change.record = check_record(key, it->second);
    out.push_back(std::move(change));
  }
  for (const auto& key : changes.keys(RecordTable::kNodes)) {
    RecordChange change{RecordTable::kNodes, key, std::nullopt};
    auto it = nodes_.find(key);
    if (it != nodes_.end()) change.record = node_record(it->second);
    out.push_back(std::move(change));
  }
  indexes_.records_for(changes, out);
}

Status CatalogTable::load_record(RecordTable table, std::string_view key, ByteView value) {
  const std::string quoted_key = "\"" + std::string(key) + "\"";
  switch (table) {
    case RecordTable::kNodes: {
      proto::Node node;
      SYNOD_RETURN_IF_ERROR(parse_record("node", key, value, &node));
      if (node.node() != key) return corruption("node record " + quoted_key + ": name differs");
      if (nodes_.contains(key)) return corruption("node record " + quoted_key + ": duplicate");
      if (!node.id().empty()) node_ids_[node.id()] = node.node();
      nodes_.emplace(std::string(key), std::move(node));
      return Status::ok();
    }
    case RecordTable::kServices: {
      proto::Service service;
      SYNOD_RETURN_IF_ERROR(parse_record("service", key, value, &service));
      if (service.node().empty() || catalog_key(service.node(), service.id()) != key) {
        return corruption("service record " + quoted_key + ": key differs from node/ID");
      }
      if (services_.contains(key)) {
        return corruption("service record " + quoted_key + ": duplicate");
      }
      index_service(std::string(key), service);
      services_.emplace(std::string(key), std::move(service));
      return Status::ok();
    }
    case RecordTable::kChecks: {
      proto::HealthCheck check;
      SYNOD_RETURN_IF_ERROR(parse_record("check", key, value, &check));
      if (check.node().empty() || catalog_key(check.node(), check.check_id()) != key) {
        return corruption("check record " + quoted_key + ": key differs from node/CheckID");
      }
      if (checks_.contains(key)) return corruption("check record " + quoted_key + ": duplicate");
      index_check(std::string(key), check);
      checks_.emplace(std::string(key), std::move(check));
      return Status::ok();
    }
    case RecordTable::kMeta:
      if (indexes_.owns_meta_key(key)) return indexes_.load_record(key, value);
      return corruption("unknown catalog meta record " + quoted_key);
    default:
      return corruption("the catalog does not store " + std::string(record_table_name(table)) +
                        " record " + quoted_key);
  }
}

void CatalogTable::clear() {
  nodes_.clear();
  services_.clear();
  checks_.clear();
  by_name_.clear();
  tags_.clear();
  node_ids_.clear();
  checks_by_owner_.clear();
  indexes_.clear();
}

}  // namespace synod::consensus::state
