// Client tools of the `synod` CLI (docs/cli.md): kv, members, leader, bench kv
// and failover-test. Same registration contract as commands.h.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/cli/commands.h"
#include "node/cli/http_client.h"

namespace synod::node::cli {

void register_kv_commands(CLI::App& app, GlobalOptions& global, Action& action);
void register_members_commands(CLI::App& app, GlobalOptions& global, Action& action);
void register_bench_commands(CLI::App& app, GlobalOptions& global, Action& action);
void register_failover_test_command(CLI::App& app, GlobalOptions& global, Action& action);

// Helpers shared by the tool commands.

// Percent-encodes a KV key for a URL path, keeping '/' and RFC 3986
// unreserved characters.
std::string encode_key(const std::string& key);

// The "error" field of a JSON error body, or the body itself.
std::string error_text(const HttpReply& reply);

// Calls the API and turns transport failures and non-2xx replies into an
// error Status whose message is printable as is.
Result<HttpReply> api_call(const std::string& method, const std::string& address,
                           const std::string& target, const std::string& body = "",
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// One server of /v1/operator/raft/configuration.
struct RaftServer {
  std::string node;
  std::string id;
  std::string address;  // peer address
  bool leader = false;
  bool voter = false;
  [[nodiscard]] std::string role() const {
    return leader ? "leader" : (voter ? "follower" : "learner");
  }
};
Result<std::vector<RaftServer>> raft_configuration(const std::string& http_addr);

}  // namespace synod::node::cli
