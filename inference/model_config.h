// models/<name>/config.yaml: how one model is served (docs/inference.md).
//
//   max_batch_size: 8          # 0: the model does not batch (shapes as in the file)
//   dynamic_batching:          # absent: every request runs alone
//     max_queue_delay_us: 200  # wait this long for more requests (default 0)
//     preferred_batch_sizes: [4, 8]
//   instance_count: 1          # model instances (one cv::dnn::Net and thread each)
//   threads: 1                 # compute threads per instance
//   timeout_ms: 30000          # per request, queue time included (0: node default)
//   max_queue: 1024            # queued requests before 429 (0: node default)
//   load_balancing: p2c_ewma   # strategy picking the node ("": node default)
//   version_policy: latest     # latest | all
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::inference {

struct ModelConfig {
  std::uint32_t max_batch_size = 0;
  bool dynamic_batching = false;
  std::chrono::microseconds max_queue_delay{0};
  std::vector<std::uint32_t> preferred_batch_sizes;
  std::uint32_t instance_count = 1;
  std::uint32_t threads = 1;
  std::chrono::milliseconds timeout{0};
  std::uint32_t max_queue = 0;
  std::string load_balancing;
  std::string version_policy = "latest";
};

// Parses config.yaml text; errors name the key. `source` names the file.
Result<ModelConfig> parse_model_config(const std::string& yaml_text, const std::string& source);
// The YAML text of a config (what `synod models demo` writes).
std::string model_config_yaml(const ModelConfig& config);

}  // namespace synod::inference
