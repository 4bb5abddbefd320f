// Loading the node config: defaults < YAML file < SYNOD_* environment
// variables < `--set path=value` flags, then validation. The key table in
// config/schema.h drives all of it; docs/config.md is generated from it.
//
// Errors name their origin and the key path, one per line, all at once:
//   node.yaml:12:3: raft.heartbeat_interval: invalid duration "fast" (expected e.g. 150ms, 2s, ...)
//   SYNOD_RAFT_NOPE: unknown config variable (did you mean SYNOD_RAFT_PRE_VOTE?)
//   --set raft.max_voters: ...
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/node_config.h"

namespace synod::config {

struct LoadOptions {
  // YAML file to read; "" = no file (defaults, env and flags only).
  std::string file;
  // Extra environment, applied after the process environment (wins over it).
  // Only SYNOD_<SECTION>_... names are config; other SYNOD_* names such as
  // SYNOD_BINARY are ignored because BINARY is not a section, and
  // SYNOD_HTTP_ADDR (the CLI's target address) is ignored by name.
  std::map<std::string, std::string> env;
  // Also read the real process environment (`environ`). Tests set false.
  bool use_process_env = true;
  // "path=value" strings, applied in order: `--set raft.heartbeat_interval=100ms`,
  // or what a convenience flag maps to ("node.data_dir=/var/lib/synod").
  // Lists and maps are comma-separated; `loadbalance.services.NAME=strategy`
  // sets one map entry.
  std::vector<std::string> overrides;
  // Fill node.name / node.id with resolve_identity() after a successful load.
  bool resolve_identity = true;
};

// Builds the effective config from all layers and validates it. On failure
// the Status (InvalidArgument, or NotFound for a missing file) carries every
// problem found, one per line, ready to print to the user.
Result<NodeConfig> load(const LoadOptions& options);

// Checks a config built in code: every key's range, allowed values and
// non-empty requirement, then the cross-field rules (heartbeat below election
// timeout, odd max_voters, backend settings present...). load() runs the same
// checks. Messages have no file location: "path: message" per line.
Status validate(const NodeConfig& config);

// If node.name is empty, sets it to the host name; if node.id is 0, sets it
// to node_id_from_name(node.name). Fails only if the host name is unreadable.
Status resolve_identity(NodeConfig& config);
// The stable id for a node name: 64-bit FNV-1a of the name's bytes (offset
// basis 0xcbf29ce484222325, prime 0x100000001b3); a hash of 0 becomes 1, so
// the result is never 0 ("no node").
std::uint64_t node_id_from_name(std::string_view name);

// A complete config file with every key at its default, each preceded by a
// comment line (its description, type, range or allowed values).
std::string default_yaml();
// The effective config as YAML (no comments). Secrets show as "<redacted>"
// unless redact_secrets is false. load() of this text gives `config` back.
std::string to_yaml(const NodeConfig& config, bool redact_secrets = true);
// The Markdown key reference of docs/config.md: one table per section with
// key, type, default and description.
std::string markdown_reference();

}  // namespace synod::config
