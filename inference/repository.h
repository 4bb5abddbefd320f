// ModelRepository: the models of one node, read from
//   <root>/<name>/config.yaml
//   <root>/<name>/<version>/model.onnx      (version: a positive integer)
// Latest-version policy by default (the highest version directory);
// `version_policy: all` serves every version. Models are loaded, unloaded and
// reloaded at run time (Triton's repository extension).
//
// Threading: every method is thread-safe. load()/load_all() read files and
// build networks: call them off the event loop. A LoadedModel is shared:
// requests hold it while they run, so unload() never pulls a model from
// under a request (its scheduler answers queued requests with Unavailable).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "inference/backend.h"
#include "inference/model_config.h"
#include "inference/scheduler.h"
#include "inference/tensor.h"

namespace synod::inference {

struct LoadedModel {
  std::string name;
  std::int64_t version = 0;
  ModelConfig config;
  ModelSignature signature;
  std::vector<std::string> rewrites;
  std::unique_ptr<ModelScheduler> scheduler;
};

struct RepositoryOptions {
  std::uint32_t max_queue = 1024;             // when config.yaml says 0
  std::chrono::milliseconds default_timeout{30000};
  std::uint32_t max_threads = 0;              // caps threads per instance (0: no cap)
  // Makes a backend instance; default: the OpenCV backend.
  std::function<std::unique_ptr<Backend>()> backend_factory;
};

struct ModelIndexEntry {
  std::string name;
  std::string version;  // "" if none found
  std::string state;    // READY | UNAVAILABLE | UNLOADED
  std::string reason;   // why UNAVAILABLE
};

class ModelRepository {
 public:
  ModelRepository(std::string root, RepositoryOptions options);
  ~ModelRepository();

  [[nodiscard]] const std::string& root() const { return root_; }

  // Every model directory with its state (Triton's repository index).
  std::vector<ModelIndexEntry> index() const;
  // Loads every model found; failures are remembered per model (index())
  // and do not stop the others. Returns how many loaded.
  std::size_t load_all();
  // Loads or reloads `name` (the new versions replace the old ones once
  // they are ready). Errors: NotFound (no such directory), InvalidArgument
  // (bad config or model, with the reason).
  Status load(const std::string& name);
  // Unloads `name`: queued requests get Unavailable. NotFound if not loaded.
  Status unload(const std::string& name);
  void unload_all();

  // The model ready to serve `name` (`version` empty: the latest loaded).
  std::shared_ptr<LoadedModel> find(const std::string& name,
                                    const std::string& version = "") const;
  // Every version loaded of `name` (ascending).
  std::vector<std::int64_t> versions(const std::string& name) const;
  // Names of the models ready.
  std::vector<std::string> ready_models() const;

 private:
  Result<std::vector<std::shared_ptr<LoadedModel>>> build(const std::string& name) const;

  const std::string root_;
  RepositoryOptions options_;
  mutable std::mutex mutex_;
  // name -> version -> model
  std::map<std::string, std::map<std::int64_t, std::shared_ptr<LoadedModel>>> models_;  // GUARDED_BY(mutex_)
  std::map<std::string, std::string> failures_;   // GUARDED_BY(mutex_) name -> reason
  std::map<std::string, bool> unloaded_;          // GUARDED_BY(mutex_) explicit unloads
  std::mutex load_mutex_;  // serialises load/unload of the repository
};

}  // namespace synod::inference
