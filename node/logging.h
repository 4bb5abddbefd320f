// Process logging: spdlog configured from the `log` config section.
//
// Every line carries the node's name and id. Formats: `text` (one
// human-readable line) or `json` (one JSON object per line, for log
// shippers). After init_logging() every layer logs through spdlog's default
// logger (spdlog::info(...)).
#pragma once

#include <string>

#include "common/status.h"
#include "config/node_config.h"

namespace synod::node {

// Replaces the default logger. `node_label` is usually "<name>/<id>".
// Fails (with a message naming the key) on a bad level, format or file.
Status init_logging(const config::LogSection& log, const std::string& node_label);

// A stderr text logger for commands that run before a config is loaded.
void init_cli_logging(bool verbose);

}  // namespace synod::node
