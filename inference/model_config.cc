#include "inference/model_config.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

namespace synod::inference {
namespace {

const std::set<std::string> kKeys = {"max_batch_size", "dynamic_batching", "instance_count",
                                     "threads",        "timeout_ms",       "max_queue",
                                     "load_balancing", "version_policy",   "name",
                                     "platform"};

template <typename T>
Status read_uint(const YAML::Node& root, const char* key, T& out, std::uint64_t max) {
  if (!root[key]) return Status::ok();
  try {
    auto value = root[key].as<std::int64_t>();
    if (value < 0 || static_cast<std::uint64_t>(value) > max) {
      return invalid_argument(std::string(key) + " must be in [0, " + std::to_string(max) + "]");
    }
    out = static_cast<T>(value);
  } catch (const YAML::Exception&) {
    return invalid_argument(std::string(key) + " must be a non-negative integer");
  }
  return Status::ok();
}

}  // namespace

Result<ModelConfig> parse_model_config(const std::string& yaml_text, const std::string& source) {
  ModelConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return invalid_argument(source + ": " + e.what());
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) return invalid_argument(source + ": expected a mapping");
  auto fail = [&](const Status& s) { return s.with_context(source); };
  for (const auto& item : root) {
    auto key = item.first.as<std::string>();
    if (!kKeys.count(key)) return invalid_argument(source + ": unknown key '" + key + "'");
  }
  if (auto s = read_uint(root, "max_batch_size", config.max_batch_size, 1u << 20); !s.is_ok()) {
    return fail(s);
  }
  if (auto s = read_uint(root, "instance_count", config.instance_count, 64); !s.is_ok()) {
    return fail(s);
  }
  if (auto s = read_uint(root, "threads", config.threads, 256); !s.is_ok()) return fail(s);
  if (auto s = read_uint(root, "max_queue", config.max_queue, 1u << 24); !s.is_ok()) {
    return fail(s);
  }
  std::uint64_t timeout_ms = 0;
  if (auto s = read_uint(root, "timeout_ms", timeout_ms, 3600000); !s.is_ok()) return fail(s);
  config.timeout = std::chrono::milliseconds(timeout_ms);
  if (config.instance_count == 0) return invalid_argument(source + ": instance_count must be >= 1");
  if (config.threads == 0) config.threads = 1;
  try {
    if (root["load_balancing"]) config.load_balancing = root["load_balancing"].as<std::string>();
    if (root["version_policy"]) config.version_policy = root["version_policy"].as<std::string>();
  } catch (const YAML::Exception&) {
    return invalid_argument(source + ": load_balancing and version_policy must be strings");
  }
  if (config.version_policy != "latest" && config.version_policy != "all") {
    return invalid_argument(source + ": version_policy must be latest or all");
  }
  if (const auto batching = root["dynamic_batching"]) {
    if (!batching.IsMap() && !batching.IsNull()) {
      return invalid_argument(source + ": dynamic_batching must be a mapping");
    }
    config.dynamic_batching = true;
    std::uint64_t delay = 0;
    if (batching.IsMap()) {
      for (const auto& item : batching) {
        auto key = item.first.as<std::string>();
        if (key != "max_queue_delay_us" && key != "preferred_batch_sizes") {
          return invalid_argument(source + ": unknown key 'dynamic_batching." + key + "'");
        }
      }
      if (auto s = read_uint(batching, "max_queue_delay_us", delay, 10000000); !s.is_ok()) {
        return fail(s.with_context("dynamic_batching"));
      }
      if (const auto sizes = batching["preferred_batch_sizes"]) {
        try {
          for (const auto& size : sizes) {
            config.preferred_batch_sizes.push_back(size.as<std::uint32_t>());
          }
        } catch (const YAML::Exception&) {
          return invalid_argument(source +
                                  ": dynamic_batching.preferred_batch_sizes must be integers");
        }
      }
    }
    config.max_queue_delay = std::chrono::microseconds(delay);
    if (config.max_batch_size == 0) {
      return invalid_argument(source + ": dynamic_batching needs max_batch_size > 0");
    }
  }
  return config;
}

std::string model_config_yaml(const ModelConfig& config) {
  std::ostringstream y;
  y << "max_batch_size: " << config.max_batch_size << "\n";
  if (config.dynamic_batching) {
    y << "dynamic_batching:\n"
      << "  max_queue_delay_us: " << config.max_queue_delay.count() << "\n";
    if (!config.preferred_batch_sizes.empty()) {
      y << "  preferred_batch_sizes: [";
      for (std::size_t i = 0; i < config.preferred_batch_sizes.size(); ++i) {
        y << (i ? ", " : "") << config.preferred_batch_sizes[i];
      }
      y << "]\n";
    }
  }
  y << "instance_count: " << config.instance_count << "\n"
    << "threads: " << config.threads << "\n"
    << "timeout_ms: " << config.timeout.count() << "\n"
    << "max_queue: " << config.max_queue << "\n";
  if (!config.load_balancing.empty()) y << "load_balancing: " << config.load_balancing << "\n";
  return y.str();
}

}  // namespace synod::inference
