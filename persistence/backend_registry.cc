// The name -> opener table behind open_backend(). Backends fill it from
// static initialisers (SYNOD_REGISTER_STORAGE_BACKEND), so the table lives in
// a function-local static to be ready whatever the initialisation order.
#include <cassert>
#include <map>
#include <mutex>

#include "persistence/backend.h"

namespace synod::persistence {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, BackendOpener> openers;  // GUARDED_BY(mutex)
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

bool register_backend(std::string name, BackendOpener opener) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  [[maybe_unused]] bool inserted = r.openers.emplace(std::move(name), std::move(opener)).second;
  assert(inserted && "storage backend registered twice");
  return true;
}

std::vector<std::string> registered_backends() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, opener] : r.openers) names.push_back(name);
  return names;
}

Result<std::unique_ptr<StorageBackend>> open_backend(const BackendOptions& options) {
  BackendOpener opener;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.openers.find(options.backend);
    if (it != r.openers.end()) opener = it->second;
  }
  if (!opener) {
    std::string known;
    for (const auto& name : registered_backends()) known += (known.empty() ? "" : ", ") + name;
    return not_found("unknown persistence backend '" + options.backend + "' (known: " + known +
                     ")");
  }
  if (options.node_id == kNoNode) {
    return invalid_argument("persistence backend '" + options.backend + "' needs a node id");
  }
  auto backend = opener(options);
  if (!backend.is_ok()) {
    return backend.status().with_context("opening " + options.backend + " backend");
  }
  return backend;
}

}  // namespace synod::persistence
