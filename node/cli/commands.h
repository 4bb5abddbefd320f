// The `synod` command-line interface: one binary with subcommands in the
// style of consul and etcdctl. Each command family lives in its own file and
// registers itself on the CLI11 app; the chosen command's action runs after
// parsing and returns the process exit code.
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace synod::node::cli {

struct GlobalOptions {
  std::string http_addr = "127.0.0.1:8500";  // --http-addr, or SYNOD_HTTP_ADDR
  std::string output = "table";             // -o table|json
  bool verbose = false;
};

using Action = std::function<int()>;

// Each family adds its subcommands to `app`; when one is chosen, it stores
// the code to run in `action`.
void register_agent_command(CLI::App& app, GlobalOptions& global, Action& action);
void register_config_commands(CLI::App& app, GlobalOptions& global, Action& action);
void register_cluster_commands(CLI::App& app, GlobalOptions& global, Action& action);
void register_data_commands(CLI::App& app, GlobalOptions& global, Action& action);
// keys gen|list|install|use|remove|backup|restore (docs/crypto.md).
void register_keys_commands(CLI::App& app, GlobalOptions& global, Action& action);
// models list|load|unload|demo, infer, bench infer (after register_bench_commands).
void register_models_commands(CLI::App& app, GlobalOptions& global, Action& action);

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;   // the operation failed
inline constexpr int kExitUsage = 2;   // bad arguments or config

}  // namespace synod::node::cli
