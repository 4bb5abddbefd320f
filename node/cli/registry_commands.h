// `synod services|checks|sessions|lock`: the registry from the shell
// (docs/cli.md). Same registration contract as commands.h.
#pragma once

#include "node/cli/commands.h"

namespace synod::node::cli {

void register_registry_commands(CLI::App& app, GlobalOptions& global, Action& action);

}  // namespace synod::node::cli
