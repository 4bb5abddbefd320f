// `synod members`: every gossip member (/v1/agent/members) with its Raft role
// and voter flag (/v1/operator/raft/configuration); `synod join ADDR`,
// `synod leave`, `synod force-leave NODE`; `synod leader`, `synod leader
// transfer NODE`: leadership as /v1/operator/raft/* reports it.
#include <CLI/CLI.hpp>
#include <algorithm>
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

struct MemberRow {
  std::string node, id, address, status, role, http, build, dc;
  bool voter = false;
  nlohmann::json tags = nlohmann::json::object();
};

std::string status_text(int status, const std::string& state) {
  switch (status) {
    case 1: return state == "suspect" ? "suspect" : "alive";
    case 2: return "leaving";
    case 3: return "left";
    case 4: return "failed";
  }
  return "unknown";
}

// Gossip members joined with the Raft configuration by node id; Raft servers
// gossip does not know (gossip off, or not joined yet) are listed too.
Result<std::vector<MemberRow>> member_rows(const std::string& http_addr) {
  std::vector<MemberRow> rows;
  auto servers = raft_configuration(http_addr);
  auto reply = api_call("GET", http_addr, "/v1/agent/members");
  if (reply.is_ok()) {
    auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_array()) return internal_error("unexpected reply: " + reply->body);
    for (const auto& m : json) {
      MemberRow row;
      row.node = m.value("Name", "");
      const auto tags = m.value("Tags", nlohmann::json::object());
      row.tags = tags;
      row.id = tags.value("id", "");
      row.address = m.value("Addr", "") + ":" + std::to_string(m.value("Port", 0));
      row.status = status_text(m.value("Status", 0), m.value("State", ""));
      row.role = tags.value("role", "");
      row.http = tags.value("http", "");
      row.build = tags.value("build", "");
      row.dc = tags.value("dc", "");
      rows.push_back(std::move(row));
    }
  } else if (!servers.is_ok()) {
    return reply.status();
  }
  if (servers.is_ok()) {
    for (const auto& s : *servers) {
      auto it = std::find_if(rows.begin(), rows.end(),
                             [&s](const MemberRow& r) { return r.id == s.id; });
      if (it == rows.end()) {
        MemberRow row;
        row.node = s.node;
        row.id = s.id;
        row.address = s.address;
        row.status = "unknown";
        rows.push_back(row);
        it = rows.end() - 1;
      }
      it->role = s.role();
      it->voter = s.voter;
    }
  }
  for (auto& row : rows) {
    if (row.role.empty() || row.role == "follower" || row.role == "leader" ||
        row.role == "learner" || row.role == "candidate") {
      // Not in the Raft configuration (anymore): a plain gossip member.
      const bool in_raft = servers.is_ok() &&
                           std::any_of(servers->begin(), servers->end(),
                                       [&row](const RaftServer& s) { return s.id == row.id; });
      if (!in_raft) row.role = "none";
    }
  }
  return rows;
}

int show_members(const GlobalOptions& global) {
  auto rows = member_rows(global.http_addr);
  if (!rows.is_ok()) return fail(rows.status());
  if (global.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) {
      out.push_back({{"node", r.node},
                     {"id", r.id},
                     {"address", r.address},
                     {"status", r.status},
                     {"role", r.role},
                     {"voter", r.voter},
                     {"http", r.http},
                     {"build", r.build},
                     {"dc", r.dc},
                     {"tags", r.tags}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : *rows) {
    table.push_back({r.node, r.id, r.address, r.status, r.role, r.voter ? "true" : "false",
                     r.http, r.build, r.dc});
  }
  print_table(std::cout, {"NODE", "ID", "GOSSIP", "STATUS", "ROLE", "VOTER", "HTTP", "BUILD", "DC"},
              table);
  return kExitOk;
}

int agent_put(const GlobalOptions& global, const std::string& target, const std::string& what) {
  auto reply = api_call("PUT", global.http_addr, target);
  if (!reply.is_ok()) return fail(reply.status());
  std::cout << what << "\n";
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
  auto* members = app.add_subcommand(
      "members", "List the cluster members (gossip status, Raft role, voter, addresses)");
  members->callback([&action, &global] { action = [&global] { return show_members(global); }; });

  auto join_address = std::make_shared<std::string>();
  auto* join = app.add_subcommand(
      "join", "Make the agent join a cluster through ADDR (gossip host:port, or id@peer-address)");
  join->add_option("ADDR", *join_address, "Address of any member")->required();
  join->callback([&action, &global, join_address] {
    action = [&global, join_address] {
      return agent_put(global, "/v1/agent/join/" + encode_key(*join_address),
                       "joined through " + *join_address);
    };
  });

  app.add_subcommand("leave", "Make the agent leave the cluster gracefully and shut down")
      ->callback([&action, &global] {
        action = [&global] { return agent_put(global, "/v1/agent/leave", "left the cluster"); };
      });

  auto force_node = std::make_shared<std::string>();
  auto prune = std::make_shared<bool>(false);
  auto* force = app.add_subcommand("force-leave", "Mark a failed member as left");
  force->add_option("NODE", *force_node, "Member name")->required();
  force->add_flag("--prune", *prune, "Also drop it from the member list");
  force->callback([&action, &global, force_node, prune] {
    action = [&global, force_node, prune] {
      return agent_put(global,
                       "/v1/agent/force-leave/" + encode_key(*force_node) + (*prune ? "?prune" : ""),
                       *force_node + " forced to leave");
    };
  });

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
