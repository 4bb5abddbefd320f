#include "inference/repository.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "inference/onnx_model.h"

namespace synod::inference {
namespace fs = std::filesystem;
namespace {

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Version directories (positive integers) holding a model.onnx, ascending.
std::vector<std::int64_t> find_versions(const fs::path& dir) {
  std::vector<std::int64_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    const auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit) || name.size() > 15) {
      continue;
    }
    if (fs::exists(entry.path() / "model.onnx")) out.push_back(std::stoll(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool valid_model_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 && name[0] != '.' &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) ||
                                         c == '_' || c == '-' || c == '.'; });
}

}  // namespace

ModelRepository::ModelRepository(std::string root, RepositoryOptions options)
    : root_(std::move(root)), options_(std::move(options)) {
  if (!options_.backend_factory) options_.backend_factory = make_opencv_backend;
}

ModelRepository::~ModelRepository() { unload_all(); }

std::vector<ModelIndexEntry> ModelRepository::index() const {
  std::vector<ModelIndexEntry> out;
  std::error_code ec;
  std::vector<std::string> names;
  if (!root_.empty()) {
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
      if (entry.is_directory() && valid_model_name(entry.path().filename().string())) {
        names.push_back(entry.path().filename().string());
      }
    }
  }
  std::sort(names.begin(), names.end());
  std::lock_guard lock(mutex_);
  for (const auto& name : names) {
    auto versions = find_versions(fs::path(root_) / name);
    ModelIndexEntry e;
    e.name = name;
    if (auto it = models_.find(name); it != models_.end() && !it->second.empty()) {
      e.version = std::to_string(it->second.rbegin()->first);
      e.state = "READY";
    } else if (auto f = failures_.find(name); f != failures_.end()) {
      e.version = versions.empty() ? "" : std::to_string(versions.back());
      e.state = "UNAVAILABLE";
      e.reason = f->second;
    } else {
      e.version = versions.empty() ? "" : std::to_string(versions.back());
      e.state = "UNLOADED";
      if (unloaded_.count(name)) e.reason = "unloaded";
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t ModelRepository::load_all() {
  std::size_t loaded = 0;
  for (const auto& entry : index()) {
    if (auto s = load(entry.name); s.is_ok()) {
      ++loaded;
    } else {
      spdlog::warn("inference: model {} not loaded: {}", entry.name, s.message());
    }
  }
  return loaded;
}

Result<std::vector<std::shared_ptr<LoadedModel>>> ModelRepository::build(
    const std::string& name) const {
  const fs::path dir = fs::path(root_) / name;
  if (root_.empty() || !valid_model_name(name) || !fs::is_directory(dir)) {
    return not_found("no model '" + name + "' in the repository " + root_);
  }
  ModelConfig config;
  if (fs::exists(dir / "config.yaml")) {
    SYNOD_ASSIGN_OR_RETURN(auto text, read_file(dir / "config.yaml"));
    SYNOD_ASSIGN_OR_RETURN(config, parse_model_config(text, (dir / "config.yaml").string()));
  }
  if (config.max_queue == 0) config.max_queue = options_.max_queue;
  if (config.timeout.count() == 0) config.timeout = options_.default_timeout;
  if (options_.max_threads > 0) config.threads = std::min(config.threads, options_.max_threads);

  auto versions = find_versions(dir);
  if (versions.empty()) {
    return invalid_argument("model '" + name + "' has no <version>/model.onnx");
  }
  if (config.version_policy == "latest") versions = {versions.back()};

  std::vector<std::shared_ptr<LoadedModel>> out;
  for (auto version : versions) {
    const fs::path file = dir / std::to_string(version) / "model.onnx";
    SYNOD_ASSIGN_OR_RETURN(auto bytes, read_file(file));
    auto prepared = prepare_onnx_model(bytes);
    if (!prepared.is_ok()) return prepared.status().with_context(file.string());
    if (config.max_batch_size > 0) {
      for (const auto& in : prepared->signature.inputs) {
        if (in.shape.empty() || in.shape[0] != -1) {
          return invalid_argument(file.string() + ": max_batch_size > 0 needs a dynamic first "
                                  "dimension on input '" + in.name + "', the model has " +
                                  shape_text(in.shape));
        }
      }
    }
    auto model = std::make_shared<LoadedModel>();
    model->name = name;
    model->version = version;
    model->config = config;
    model->signature = prepared->signature;
    model->rewrites = prepared->rewrites;
    std::vector<std::unique_ptr<Backend>> instances;
    BackendOptions backend_options;
    backend_options.threads = config.threads;
    backend_options.max_batch_size = config.max_batch_size == 0 ? 1 : config.max_batch_size;
    for (std::uint32_t i = 0; i < config.instance_count; ++i) {
      auto backend = options_.backend_factory();
      auto loaded = backend->load(prepared->bytes, prepared->signature, backend_options);
      if (!loaded.is_ok()) return loaded.with_context(file.string());
      backend_options = backend->options_for_more_instances(backend_options);
      instances.push_back(std::move(backend));
    }
    SchedulerOptions scheduler;
    scheduler.max_batch_size = config.max_batch_size;
    scheduler.dynamic_batching = config.dynamic_batching;
    scheduler.max_queue_delay = config.max_queue_delay;
    scheduler.preferred_batch_sizes = config.preferred_batch_sizes;
    scheduler.max_queue = config.max_queue;
    model->scheduler = std::make_unique<ModelScheduler>(name, scheduler, std::move(instances));
    for (const auto& r : prepared->rewrites) spdlog::info("inference: {} v{}: {}", name, version, r);
    out.push_back(std::move(model));
  }
  return out;
}

Status ModelRepository::load(const std::string& name) {
  std::lock_guard load_lock(load_mutex_);
  auto built = build(name);
  std::map<std::int64_t, std::shared_ptr<LoadedModel>> old;
  {
    std::lock_guard lock(mutex_);
    if (!built.is_ok()) {
      if (built.status().code() != StatusCode::kNotFound) failures_[name] = built.status().message();
      return built.status();
    }
    failures_.erase(name);
    unloaded_.erase(name);
    old.swap(models_[name]);
    for (auto& model : *built) models_[name][model->version] = std::move(model);
  }
  for (auto& [v, model] : old) model->scheduler->stop();
  spdlog::info("inference: model {} ready", name);
  return Status::ok();
}

Status ModelRepository::unload(const std::string& name) {
  std::lock_guard load_lock(load_mutex_);
  std::map<std::int64_t, std::shared_ptr<LoadedModel>> old;
  {
    std::lock_guard lock(mutex_);
    auto it = models_.find(name);
    if (it == models_.end()) return not_found("model '" + name + "' is not loaded");
    old.swap(it->second);
    models_.erase(it);
    unloaded_[name] = true;
  }
  for (auto& [v, model] : old) model->scheduler->stop();
  spdlog::info("inference: model {} unloaded", name);
  return Status::ok();
}

void ModelRepository::unload_all() {
  std::map<std::string, std::map<std::int64_t, std::shared_ptr<LoadedModel>>> old;
  {
    std::lock_guard lock(mutex_);
    old.swap(models_);
  }
  for (auto& [name, versions] : old) {
    for (auto& [v, model] : versions) model->scheduler->stop();
  }
}

std::shared_ptr<LoadedModel> ModelRepository::find(const std::string& name,
                                                   const std::string& version) const {
  std::lock_guard lock(mutex_);
  auto it = models_.find(name);
  if (it == models_.end() || it->second.empty()) return nullptr;
  if (version.empty()) return it->second.rbegin()->second;
  std::int64_t v = 0;
  try {
    v = std::stoll(version);
  } catch (...) {
    return nullptr;
  }
  auto found = it->second.find(v);
  return found == it->second.end() ? nullptr : found->second;
}

std::vector<std::int64_t> ModelRepository::versions(const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> out;
  if (auto it = models_.find(name); it != models_.end()) {
    for (const auto& [v, m] : it->second) out.push_back(v);
  }
  return out;
}

std::vector<std::string> ModelRepository::ready_models() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, versions] : models_) {
    if (!versions.empty()) out.push_back(name);
  }
  return out;
}

}  // namespace synod::inference
