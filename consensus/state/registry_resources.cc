#include "consensus/state/registry_resources.h"

#include <algorithm>
#include <array>

#include "consensus/state/registry_codec.h"

namespace synod::consensus::state {
namespace resources {
namespace {

std::string named(std::string_view family, std::string_view name) {
  std::string out(family);
  out.push_back(':');
  out.append(name);
  return out;
}

}  // namespace

std::string node(std::string_view name) { return named("node", name); }
std::string service(std::string_view name) { return named("service", name); }
std::string state(proto::HealthStatus status) { return named("state", health_status_name(status)); }
std::string session(std::string_view id) { return named("session", id); }
std::string node_sessions(std::string_view node) { return named("session-node", node); }

}  // namespace resources

std::vector<std::string> changed_resources(const ChangeSet& changes) {
  static constexpr std::array<std::string_view, 2> kPrefixes = {"catalog/index/", "session/index/"};
  std::vector<std::string> out;
  for (std::string_view prefix : kPrefixes) {
    const auto& keys = changes.keys(RecordTable::kMeta);
    for (auto it = keys.lower_bound(prefix);
         it != keys.end() && std::string_view(*it).starts_with(prefix); ++it) {
      out.emplace_back(std::string_view(*it).substr(prefix.size()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace synod::consensus::state
