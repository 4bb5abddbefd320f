// `synod agent -c node.yaml`: run one node in the foreground.
#include <CLI/CLI.hpp>

#include <iostream>

#include <spdlog/spdlog.h>

#include "config/loader.h"
#include "node/cli/commands.h"
#include "node/logging.h"
#include "node/node.h"

namespace synod::node::cli {

void register_agent_command(CLI::App& app, GlobalOptions& /*global*/, Action& action) {
  struct AgentOptions {
    std::string config_file;
    std::vector<std::string> overrides;
    std::string data_dir;
    std::string node_name;
  };
  auto opts = std::make_shared<AgentOptions>();
  auto* agent = app.add_subcommand("agent", "Run a synod node in the foreground");
  agent->add_option("-c,--config", opts->config_file,
                    "YAML config file (defaults apply to every key it leaves out)");
  agent->add_option("--set", opts->overrides, "Override a config key: path=value (repeatable)");
  agent->add_option("--data-dir", opts->data_dir, "Same as --set node.data_dir=DIR");
  agent->add_option("--node", opts->node_name, "Same as --set node.name=NAME");
  agent->callback([&action, opts] {
    action = [opts] {
      config::LoadOptions load;
      load.file = opts->config_file;
      if (!opts->data_dir.empty()) load.overrides.push_back("node.data_dir=" + opts->data_dir);
      if (!opts->node_name.empty()) load.overrides.push_back("node.name=" + opts->node_name);
      for (const auto& o : opts->overrides) load.overrides.push_back(o);
      auto config = config::load(load);
      if (!config.is_ok()) {
        std::cerr << config.status().message() << "\n";
        return kExitUsage;
      }
      const std::string label = config->node.name + "/" + std::to_string(config->node.id);
      if (auto st = init_logging(config->log, label); !st.is_ok()) {
        std::cerr << st.message() << "\n";
        return kExitUsage;
      }
      Node node(std::move(*config));
      if (auto st = node.start(); !st.is_ok()) {
        spdlog::critical("start-up failed: {}", st.to_string());
        spdlog::default_logger()->flush();
        return kExitError;
      }
      node.run();
      spdlog::info("stopped");
      spdlog::default_logger()->flush();
      return kExitOk;
    };
  });
}

}  // namespace synod::node::cli
