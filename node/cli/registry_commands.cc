// services list|show|register|deregister|select, checks list,
// sessions list|show|create|destroy, lock PREFIX -- CMD.
#include "node/cli/registry_commands.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "node/cli/table.h"
#include "node/cli/tool_commands.h"

extern char** environ;

namespace synod::node::cli {
namespace {

using nlohmann::json;

int fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitError;
}

// GET `target` and parse the JSON reply.
Result<json> get_json(const GlobalOptions& global, const std::string& target) {
  auto reply = api_call("GET", global.http_addr, target);
  if (!reply.is_ok()) return reply.status();
  auto body = json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) return internal_error("the agent sent invalid JSON");
  return body;
}

std::string join(const json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (!out.empty()) out += ",";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

// Prints `body` as JSON (-o json) or via `table`.
int print(const GlobalOptions& global, const json& body,
          const std::function<void(const json&)>& table) {
  if (global.output == "json") {
    std::cout << body.dump(2) << "\n";
  } else {
    table(body);
  }
  return kExitOk;
}

int services_list(const GlobalOptions& global) {
  auto body = get_json(global, "/v1/catalog/services");
  if (!body.is_ok()) return fail(body.status());
  return print(global, *body, [](const json& b) {
    std::vector<std::vector<std::string>> rows;
    for (auto it = b.begin(); it != b.end(); ++it) rows.push_back({it.key(), join(it.value())});
    print_table(std::cout, {"SERVICE", "TAGS"}, rows);
  });
}

std::string aggregate_status(const json& checks) {
  std::string worst = "passing";
  for (const auto& c : checks) {
    const std::string s = c.value("Status", "");
    if (s == "critical" || s == "maintenance") return "critical";
    if (s == "warning") worst = "warning";
  }
  return worst;
}

int services_show(const GlobalOptions& global, const std::string& name) {
  auto body = get_json(global, "/v1/health/service/" + encode_key(name));
  if (!body.is_ok()) return fail(body.status());
  if (body->empty()) return fail(not_found("no instances of service \"" + name + "\""));
  return print(global, *body, [](const json& b) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : b) {
      const auto& s = e["Service"];
      std::string address = s.value("Address", "");
      if (address.empty()) address = e["Node"].value("Address", "");
      rows.push_back({e["Node"].value("Node", ""), s.value("ID", ""), address,
                      std::to_string(s.value("Port", 0)), join(s["Tags"]),
                      aggregate_status(e["Checks"])});
    }
    print_table(std::cout, {"NODE", "ID", "ADDRESS", "PORT", "TAGS", "STATUS"}, rows);
  });
}

int services_register(const GlobalOptions& global, const std::string& file) {
  std::ifstream in(file);
  if (!in) return fail(io_error("cannot read " + file));
  std::stringstream text;
  text << in.rdbuf();
  auto body = json::parse(text.str(), nullptr, false);
  if (body.is_discarded()) return fail(invalid_argument(file + ": invalid JSON"));
  // A file may hold one registration or {"Service": {...}} like Consul's.
  if (body.is_object() && body.contains("Service") && body["Service"].is_object()) {
    body = body["Service"];
  }
  auto reply = api_call("PUT", global.http_addr, "/v1/agent/service/register", body.dump());
  if (!reply.is_ok()) return fail(reply.status());
  std::cout << "Registered service: " << body.value("Name", "") << "\n";
  return kExitOk;
}

int services_deregister(const GlobalOptions& global, const std::string& id) {
  auto reply = api_call("PUT", global.http_addr, "/v1/agent/service/deregister/" + encode_key(id));
  if (!reply.is_ok()) return fail(reply.status());
  std::cout << "Deregistered service: " << id << "\n";
  return kExitOk;
}

int services_select(const GlobalOptions& global, const std::string& name,
                    const std::string& strategy, const std::string& key) {
  std::string target = "/v1/synod/select/" + encode_key(name);
  std::string sep = "?";
  if (!strategy.empty()) {
    target += sep + "strategy=" + encode_key(strategy);
    sep = "&";
  }
  if (!key.empty()) target += sep + "key=" + encode_key(key);
  auto body = get_json(global, target);
  if (!body.is_ok()) return fail(body.status());
  return print(global, *body, [](const json& b) {
    print_table(std::cout, {"NODE", "ID", "ADDRESS", "PORT", "STRATEGY"},
                {{b.value("Node", ""), b.value("ServiceID", ""), b.value("Address", ""),
                  std::to_string(b.value("Port", 0)), b.value("Strategy", "")}});
  });
}

int checks_list(const GlobalOptions& global) {
  auto body = get_json(global, "/v1/health/state/any");
  if (!body.is_ok()) return fail(body.status());
  return print(global, *body, [](const json& b) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : b) {
      rows.push_back({c.value("Node", ""), c.value("CheckID", ""), c.value("Name", ""),
                      c.value("Status", ""), c.value("ServiceID", ""), c.value("Type", "")});
    }
    print_table(std::cout, {"NODE", "CHECK", "NAME", "STATUS", "SERVICE", "TYPE"}, rows);
  });
}

void session_rows(const json& b) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : b) {
    rows.push_back({s.value("ID", ""), s.value("Name", ""), s.value("Node", ""), s.value("TTL", ""),
                    s.value("Behavior", "")});
  }
  print_table(std::cout, {"ID", "NAME", "NODE", "TTL", "BEHAVIOR"}, rows);
}

struct SessionOptions {
  std::string name;
  std::string ttl;
  std::string behavior;
  std::string lock_delay;
  std::string node;
};

Result<std::string> create_session(const GlobalOptions& global, const SessionOptions& o) {
  json body = json::object();
  if (!o.name.empty()) body["Name"] = o.name;
  if (!o.ttl.empty()) body["TTL"] = o.ttl;
  if (!o.behavior.empty()) body["Behavior"] = o.behavior;
  if (!o.lock_delay.empty()) body["LockDelay"] = o.lock_delay;
  if (!o.node.empty()) body["Node"] = o.node;
  auto reply = api_call("PUT", global.http_addr, "/v1/session/create", body.dump());
  if (!reply.is_ok()) return reply.status();
  auto parsed = json::parse(reply->body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("ID")) return internal_error("bad create reply");
  return parsed["ID"].get<std::string>();
}

// consul lock: hold PREFIX/.lock through a session while CMD runs.
int run_locked(const GlobalOptions& global, const std::string& prefix,
               const std::vector<std::string>& command, const std::string& ttl) {
  if (command.empty()) return fail(invalid_argument("usage: synod lock PREFIX -- CMD [ARGS...]"));
  SessionOptions options;
  options.name = "synod lock " + prefix;
  options.ttl = ttl;
  auto session = create_session(global, options);
  if (!session.is_ok()) return fail(session.status());
  std::string key = prefix;
  while (!key.empty() && key.back() == '/') key.pop_back();
  const std::string path = "/v1/kv/" + encode_key(key + "/.lock");
  // Renew every 5 s from creation on: while waiting for the lock too, or a
  // long wait lets the session's TTL run out before the lock frees.
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::thread renewer([&] {
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, std::chrono::seconds(5), [&] { return done; })) {
      (void)http_call("PUT", global.http_addr, "/v1/session/renew/" + *session, "",
                      std::chrono::seconds(5));
    }
  });
  auto stop_renewing = [&] {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    wake.notify_all();
    renewer.join();
  };
  // Acquire: retry, blocking on the key between attempts.
  for (;;) {
    auto reply = api_call("PUT", global.http_addr, path + "?acquire=" + *session, *session);
    if (!reply.is_ok()) {
      stop_renewing();
      return fail(reply.status());
    }
    if (reply->body.find("true") != std::string::npos) break;
    auto current = http_call("GET", global.http_addr, path, "", std::chrono::seconds(20));
    std::string index = current.is_ok() ? current->headers["x-consul-index"] : "";
    if (!index.empty()) {
      (void)http_call("GET", global.http_addr, path + "?index=" + index + "&wait=5s", "",
                      std::chrono::seconds(20));
    } else {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (global.verbose) std::cerr << "lock acquired on " << key << "/.lock\n";
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int code = kExitError;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    std::cerr << "error: cannot run " << command[0] << "\n";
  }
  stop_renewing();
  (void)api_call("PUT", global.http_addr, path + "?release=" + *session);
  (void)api_call("PUT", global.http_addr, "/v1/session/destroy/" + *session);
  return code;
}

}  // namespace

void register_registry_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* services = app.add_subcommand("services", "Service registry: list, show, register, select");
  services->require_subcommand(1);
  services->add_subcommand("list", "List services and their tags")->callback([&] {
    action = [&] { return services_list(global); };
  });
  auto name = std::make_shared<std::string>();
  auto* show = services->add_subcommand("show", "Show the instances of a service and their health");
  show->add_option("NAME", *name)->required();
  show->callback([&, name] { action = [&, name] { return services_show(global, *name); }; });
  auto file = std::make_shared<std::string>();
  auto* reg = services->add_subcommand("register", "Register a service from a JSON file");
  reg->add_option("FILE", *file)->required();
  reg->callback([&, file] { action = [&, file] { return services_register(global, *file); }; });
  auto id = std::make_shared<std::string>();
  auto* dereg = services->add_subcommand("deregister", "Deregister a service of this agent by ID");
  dereg->add_option("ID", *id)->required();
  dereg->callback([&, id] { action = [&, id] { return services_deregister(global, *id); }; });
  auto strategy = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto* select = services->add_subcommand("select", "Pick a healthy instance (load balancing)");
  select->add_option("NAME", *name)->required();
  select->add_option("--strategy", *strategy, "Strategy (default: the configured one)");
  select->add_option("--key", *key, "Affinity key for hashing strategies");
  select->callback([&, name, strategy, key] {
    action = [&, name, strategy, key] { return services_select(global, *name, *strategy, *key); };
  });

  auto* checks = app.add_subcommand("checks", "Health checks");
  checks->require_subcommand(1);
  checks->add_subcommand("list", "List every check and its status")->callback([&] {
    action = [&] { return checks_list(global); };
  });

  auto* sessions = app.add_subcommand("sessions", "Sessions: list, show, create, destroy");
  sessions->require_subcommand(1);
  sessions->add_subcommand("list", "List sessions")->callback([&] {
    action = [&] {
      auto body = get_json(global, "/v1/session/list");
      if (!body.is_ok()) return fail(body.status());
      return print(global, *body, session_rows);
    };
  });
  auto* sshow = sessions->add_subcommand("show", "Show one session");
  sshow->add_option("ID", *id)->required();
  sshow->callback([&, id] {
    action = [&, id] {
      auto body = get_json(global, "/v1/session/info/" + encode_key(*id));
      if (!body.is_ok()) return fail(body.status());
      if (body->empty()) return fail(not_found("session " + *id + " not found"));
      return print(global, *body, session_rows);
    };
  });
  auto opts = std::make_shared<SessionOptions>();
  auto* create = sessions->add_subcommand("create", "Create a session; prints its ID");
  create->add_option("--name", opts->name);
  create->add_option("--ttl", opts->ttl, "e.g. 30s (10s..24h)");
  create->add_option("--behavior", opts->behavior, "release|delete");
  create->add_option("--lock-delay", opts->lock_delay, "e.g. 15s");
  create->add_option("--node", opts->node);
  create->callback([&, opts] {
    action = [&, opts] {
      auto created = create_session(global, *opts);
      if (!created.is_ok()) return fail(created.status());
      std::cout << *created << "\n";
      return kExitOk;
    };
  });
  auto* destroy = sessions->add_subcommand("destroy", "Destroy a session");
  destroy->add_option("ID", *id)->required();
  destroy->callback([&, id] {
    action = [&, id] {
      auto reply = api_call("PUT", global.http_addr, "/v1/session/destroy/" + encode_key(*id));
      if (!reply.is_ok()) return fail(reply.status());
      std::cout << "Destroyed session: " << *id << "\n";
      return kExitOk;
    };
  });

  auto prefix = std::make_shared<std::string>();
  auto command = std::make_shared<std::vector<std::string>>();
  auto ttl = std::make_shared<std::string>("15s");
  auto* lock = app.add_subcommand("lock", "Run a command while holding a lock (like consul lock)");
  lock->add_option("PREFIX", *prefix)->required();
  lock->add_option("--ttl", *ttl, "Session TTL (renewed every 5s)");
  lock->add_option("CMD", *command)->required();
  lock->callback([&, prefix, command, ttl] {
    action = [&, prefix, command, ttl] { return run_locked(global, *prefix, *command, *ttl); };
  });
}

}  // namespace synod::node::cli
