// `synod members`, `synod leader`, `synod leader transfer NODE`: the Raft
// configuration and leadership as /v1/operator/raft/* reports them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "node/cli/table.h"
#include "node/cli/tool_commands.h"

namespace synod::node::cli {

namespace {

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return std::to_string(value.get<std::uint64_t>());
  return "";
}

int fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitError;
}

// The leader's peer address from /v1/status/leader ("" when there is none).
Result<std::string> current_leader(const std::string& http_addr) {
  SYNOD_ASSIGN_OR_RETURN(auto reply, api_call("GET", http_addr, "/v1/status/leader"));
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (!json.is_string()) return internal_error("unexpected reply: " + reply.body);
  return json.get<std::string>();
}

int show_members(const GlobalOptions& global) {
  auto servers = raft_configuration(global.http_addr);
  if (!servers.is_ok()) return fail(servers.status());
  if (global.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *servers) {
      out.push_back({{"node", s.node},
                     {"id", s.id},
                     {"address", s.address},
                     {"role", s.role()},
                     {"voter", s.voter}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : *servers) {
    rows.push_back({s.node, s.id, s.address, s.role(), s.voter ? "true" : "false"});
  }
  print_table(std::cout, {"NODE", "ID", "ADDRESS", "ROLE", "VOTER"}, rows);
  return kExitOk;
}

int show_leader(const GlobalOptions& global) {
  auto leader = current_leader(global.http_addr);
  if (!leader.is_ok()) return fail(leader.status());
  if (leader->empty()) return fail(unavailable("no leader is known to " + global.http_addr));
  RaftServer found;
  if (auto servers = raft_configuration(global.http_addr); servers.is_ok()) {
    for (const auto& s : *servers) {
      if (s.address == *leader) found = s;
    }
  }
  if (global.output == "json") {
    std::cout << nlohmann::json{{"address", *leader}, {"node", found.node}, {"id", found.id}}.dump()
              << "\n";
  } else {
    print_table(std::cout, {"NODE", "ID", "ADDRESS"}, {{found.node, found.id, *leader}});
  }
  return kExitOk;
}

int transfer_leader(const std::string& target, const GlobalOptions& global) {
  auto servers = raft_configuration(global.http_addr);
  if (!servers.is_ok()) return fail(servers.status());
  const RaftServer* chosen = nullptr;
  for (const auto& s : *servers) {
    if (s.node == target || s.id == target) chosen = &s;
  }
  if (chosen == nullptr) {
    std::cerr << "error: no server named or with id \"" << target << "\"; see `synod members`\n";
    return kExitUsage;
  }
  if (chosen->leader) {
    std::cout << chosen->node << " is already the leader\n";
    return kExitOk;
  }
  auto reply = api_call("POST", global.http_addr,
                        "/v1/operator/raft/transfer-leader?id=" + encode_key(chosen->id));
  if (!reply.is_ok()) return fail(reply.status());
  // The call returns when the transfer started; wait a little for the result.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto leader = current_leader(global.http_addr);
    if (leader.is_ok() && *leader == chosen->address) {
      if (global.output == "json") {
        std::cout << nlohmann::json{{"leader", chosen->node}, {"id", chosen->id}}.dump() << "\n";
      } else {
        std::cout << "leadership transferred to " << chosen->node << " (id " << chosen->id << ")\n";
      }
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling another process
  }
  std::cerr << "error: " << chosen->node << " did not become the leader within 5s\n";
  return kExitError;
}

}  // namespace

Result<std::vector<RaftServer>> raft_configuration(const std::string& http_addr) {
  SYNOD_ASSIGN_OR_RETURN(auto reply, api_call("GET", http_addr, "/v1/operator/raft/configuration"));
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (!json.is_object() || !json["Servers"].is_array()) {
    return internal_error("unexpected reply: " + reply.body);
  }
  std::vector<RaftServer> out;
  for (const auto& s : json["Servers"]) {
    RaftServer server;
    server.node = s.contains("Node") ? json_text(s["Node"]) : "";
    server.id = s.contains("ID") ? json_text(s["ID"]) : "";
    server.address = s.contains("Address") ? json_text(s["Address"]) : "";
    server.leader = s.value("Leader", false);
    server.voter = s.value("Voter", false);
    out.push_back(std::move(server));
  }
  return out;
}

void register_members_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* members = app.add_subcommand("members", "List the Raft servers and their roles");
  members->callback([&action, &global] { action = [&global] { return show_members(global); }; });

  auto* leader = app.add_subcommand("leader", "Show the leader, or transfer leadership");
  leader->callback([&action, &global, leader] {
    if (leader->get_subcommands().empty()) {
      action = [&global] { return show_leader(global); };
    }
  });
  auto target = std::make_shared<std::string>();
  auto* transfer = leader->add_subcommand("transfer", "Make NODE (name or id) the leader");
  transfer->add_option("NODE", *target, "Node name or id")->required();
  transfer->callback([&action, &global, target] {
    action = [&global, target] { return transfer_leader(*target, global); };
  });
}

}  // namespace synod::node::cli
