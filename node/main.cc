// synod: one binary, many subcommands (docs/cli.md).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "node/cli/commands.h"
#include "node/cli/registry_commands.h"
#include "node/cli/tool_commands.h"
#include "node/logging.h"
#include "node/version.h"

int main(int argc, char** argv) {
  using namespace synod::node;
  CLI::App app{"synod: a cluster node: Raft consensus, gossip membership, a Consul-compatible "
               "KV store, service registry and sessions, encrypted peer channels and ONNX "
               "inference (Open Inference Protocol), over the storage backend its config "
               "selects (file, sqlite, postgres, redis, memory).",
               "synod"};
  app.set_version_flag("--version", std::string("synod ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // subcommands inherit it: `synod cluster status -o json` works

  cli::GlobalOptions global;
  if (const char* env = std::getenv("SYNOD_HTTP_ADDR")) global.http_addr = env;
  app.add_option("--http-addr", global.http_addr,
                 "HTTP API address of the node to talk to (env SYNOD_HTTP_ADDR)")
      ->capture_default_str();
  app.add_option("-o,--output", global.output, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_flag("-v,--verbose", global.verbose, "Log debug details of the CLI itself");

  cli::Action action;
  cli::register_agent_command(app, global, action);
  cli::register_config_commands(app, global, action);
  cli::register_cluster_commands(app, global, action);
  cli::register_kv_commands(app, global, action);
  cli::register_members_commands(app, global, action);
  cli::register_bench_commands(app, global, action);
  cli::register_failover_test_command(app, global, action);
  cli::register_data_commands(app, global, action);
  cli::register_keys_commands(app, global, action);
  cli::register_models_commands(app, global, action);
  cli::register_registry_commands(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  init_cli_logging(global.verbose);
  if (!action) {
    std::cerr << app.help();
    return cli::kExitUsage;
  }
  return action();
}
