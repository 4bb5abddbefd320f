// `synod config validate FILE` and `synod config default`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "config/loader.h"
#include "node/cli/commands.h"

namespace synod::node::cli {

void register_config_commands(CLI::App& app, GlobalOptions& /*global*/, Action& action) {
  auto* config = app.add_subcommand("config", "Check and print node configuration");
  config->require_subcommand(1);

  struct ValidateOptions {
    std::string file;
    std::vector<std::string> overrides;
    bool print_effective = false;
  };
  auto opts = std::make_shared<ValidateOptions>();
  auto* validate = config->add_subcommand(
      "validate", "Check a config file (with SYNOD_* env and --set overrides applied)");
  validate->add_option("FILE", opts->file, "YAML config file")->required();
  validate->add_option("--set", opts->overrides, "Override a key: path=value (repeatable)");
  validate->add_flag("--print", opts->print_effective,
                     "Print the effective config (secrets redacted) when valid");
  validate->callback([&action, opts] {
    action = [opts] {
      config::LoadOptions load;
      load.file = opts->file;
      load.overrides = opts->overrides;
      auto result = config::load(load);
      if (!result.is_ok()) {
        std::cerr << result.status().message() << "\n";
        return kExitUsage;
      }
      if (opts->print_effective) {
        std::cout << config::to_yaml(*result);
      } else {
        std::cout << opts->file << ": valid\n";
      }
      return kExitOk;
    };
  });

  auto* defaults = config->add_subcommand(
      "default", "Print a complete config with every key at its default, commented");
  defaults->callback([&action] {
    action = [] {
      std::cout << config::default_yaml();
      return kExitOk;
    };
  });
}

}  // namespace synod::node::cli
