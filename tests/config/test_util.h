// Helpers shared by the config tests: write a YAML file, load with an
// injected environment (never the real one), compare configs key by key.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "config/schema.h"

namespace synod::config::testing {

// <tmp>/synod-config-<pid>: unique per process, so parallel runs from several
// build dirs never share files; removed when the test program ends.
inline std::filesystem::path scratch_root() {
  return std::filesystem::temp_directory_path() / ("synod-config-" + std::to_string(::getpid()));
}

// Writes `yaml` to <scratch_root>/<suite>.<test>/<file> and returns the path.
inline std::string write_yaml(const std::string& yaml, const std::string& file = "node.yaml") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      scratch_root() / (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / file;
  std::ofstream(path, std::ios::trunc) << yaml;
  return path.string();
}

inline LoadOptions options(const std::string& file = "") {
  LoadOptions opts;
  opts.file = file;
  opts.use_process_env = false;
  opts.resolve_identity = false;
  return opts;
}

inline Result<NodeConfig> load_yaml(const std::string& yaml) {
  return load(options(write_yaml(yaml)));
}

// The error text of a load that must fail.
inline std::string load_error(const LoadOptions& opts) {
  auto result = load(opts);
  EXPECT_FALSE(result.is_ok()) << "expected the config to be rejected";
  return result.status().message();
}
inline std::string yaml_error(const std::string& yaml) {
  return load_error(options(write_yaml(yaml)));
}

// Keys (through the schema table) whose values differ between a and b.
inline std::vector<std::string> differing_keys(const NodeConfig& a, const NodeConfig& b) {
  std::vector<std::string> out;
  for (const KeyInfo& key : schema()) {
    if (format_value(key, a, false) != format_value(key, b, false)) {
      out.emplace_back(key.path);
    }
  }
  return out;
}

}  // namespace synod::config::testing
