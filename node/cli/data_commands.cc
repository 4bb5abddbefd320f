// `synod data export|import|migrate`: move one stopped node's stored state
// between files and backends (like `etcdctl snapshot save/restore`).
#include <CLI/CLI.hpp>

#include <iostream>

#include "config/loader.h"
#include "node/cli/commands.h"
#include "node/storage_options.h"
#include "persistence/migrate.h"

namespace synod::node::cli {
namespace {

Result<std::unique_ptr<persistence::StorageBackend>> open_from_config(const std::string& file) {
  config::LoadOptions load;
  load.file = file;
  auto config = config::load(load);
  if (!config.is_ok()) return config.status();
  return persistence::open_backend(backend_options(*config));
}

int report(const Status& status, const std::string& done_message) {
  if (!status.is_ok()) {
    std::cerr << "error: " << status.to_string() << "\n";
    return kExitError;
  }
  std::cout << done_message << "\n";
  return kExitOk;
}

}  // namespace

void register_data_commands(CLI::App& app, GlobalOptions& /*global*/, Action& action) {
  auto* data = app.add_subcommand(
      "data", "Export, import or migrate a stopped node's stored state (hard state, log, "
              "snapshots, applied records)");
  data->require_subcommand(1);

  struct Options {
    std::string config;
    std::string to_config;
    std::string file;
  };
  auto opts = std::make_shared<Options>();

  auto* exp = data->add_subcommand("export", "Write a consistent, checksummed dump to a file");
  exp->add_option("-c,--config", opts->config, "The node's config file")->required();
  exp->add_option("--out", opts->file, "Output file")->required();
  exp->callback([&action, opts] {
    action = [opts] {
      auto backend = open_from_config(opts->config);
      if (!backend.is_ok()) return report(backend.status(), "");
      return report(persistence::export_state(**backend, opts->file), "exported to " + opts->file);
    };
  });

  auto* imp = data->add_subcommand("import", "Load a dump into an empty backend, then verify it");
  imp->add_option("-c,--config", opts->config, "The node's config file")->required();
  imp->add_option("--in", opts->file, "Dump file written by `synod data export`")->required();
  imp->callback([&action, opts] {
    action = [opts] {
      auto backend = open_from_config(opts->config);
      if (!backend.is_ok()) return report(backend.status(), "");
      return report(persistence::import_state(opts->file, **backend),
                    "imported and verified " + opts->file);
    };
  });

  auto* mig = data->add_subcommand(
      "migrate", "Copy a stopped node's state from one backend to another, then verify");
  mig->add_option("--from-config", opts->config, "Config naming the source backend")->required();
  mig->add_option("--to-config", opts->to_config, "Config naming the (empty) target backend")
      ->required();
  mig->callback([&action, opts] {
    action = [opts] {
      auto from = open_from_config(opts->config);
      if (!from.is_ok()) return report(from.status().with_context("source"), "");
      auto to = open_from_config(opts->to_config);
      if (!to.is_ok()) return report(to.status().with_context("target"), "");
      return report(persistence::migrate(**from, **to),
                    "migrated " + std::string((*from)->name()) + " -> " +
                        std::string((*to)->name()) + " and verified");
    };
  });
}

}  // namespace synod::node::cli
