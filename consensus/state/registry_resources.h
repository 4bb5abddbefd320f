// The blocking-query resources of the registry: the names whose modify
// indexes the catalog and session tables keep (ResourceIndexes) and that
// the node passes to WatchHub::notify. The same string is the WatchHub
// resource and the argument of CatalogTable::index / SessionTable::index.
//
//   resource              moves when                            read by
//   "catalog"             any catalog write                     fallback index
//   "nodes"               a node is added, changed or removed   /v1/catalog/nodes
//   "node:<name>"         the node, its services or checks      /v1/catalog/node/:n,
//                                                               /v1/health/node/:n, agent/*
//   "services"            a service instance is added, changed  /v1/catalog/services
//                         or removed (not on check updates)
//   "service:<name>"      an instance of <name>, its checks, or  /v1/catalog/service/:s,
//                         a node check of a node hosting <name>  /v1/health/service/:s,
//                                                               /v1/health/checks/:s
//   "checks"              any check added, changed or removed   /v1/health/state/any
//   "state:<status>"      a check enters or leaves <status>     /v1/health/state/:status
//   "sessions"            any session write                     /v1/session/list
//   "session:<id>"        the session is created or destroyed   /v1/session/info/:id
//   "session-node:<node>" a session of <node> changes           /v1/session/node/:n
//
// A write to service A never moves "service:B". Indexes of removed
// resources are kept (catalog) or fall back to the family index
// ("session:<id>" is forgotten on destroy; index() then answers "sessions",
// which moved at the destroy), so a watcher always sees the index grow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"

namespace synod::consensus::state::resources {

inline constexpr std::string_view kCatalog = "catalog";
inline constexpr std::string_view kNodes = "nodes";
inline constexpr std::string_view kServices = "services";
inline constexpr std::string_view kChecks = "checks";
inline constexpr std::string_view kSessions = "sessions";

std::string node(std::string_view name);
std::string service(std::string_view name);
std::string state(proto::HealthStatus status);
std::string session(std::string_view id);
std::string node_sessions(std::string_view node);

}  // namespace synod::consensus::state::resources

namespace synod::consensus::state {

// Every registry resource whose index moved in `changes` (ascending, each
// once), from the "<owner>/index/<resource>" meta keys the batch touched.
// The node wakes exactly these: hub.notify(resource, applied_index).
std::vector<std::string> changed_resources(const ChangeSet& changes);

}  // namespace synod::consensus::state
