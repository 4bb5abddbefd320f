// `synod kv get|put|del|ls`: the Consul-compatible KV API from the shell.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "node/cli/table.h"
#include "node/cli/tool_commands.h"
#include "node/http/base64.h"

namespace synod::node::cli {

std::string encode_key(const std::string& key) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string error_text(const HttpReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  std::string body = reply.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body.empty() ? "(empty body)" : body;
}

Result<HttpReply> api_call(const std::string& method, const std::string& address,
                           const std::string& target, const std::string& body,
                           std::chrono::milliseconds timeout) {
  auto reply = http_call(method, address, target, body, timeout);
  if (!reply.is_ok()) return reply.status();
  if (reply->status < 200 || reply->status >= 300) {
    return Status(
        reply->status == 404 ? StatusCode::kNotFound : StatusCode::kUnavailable,
        "HTTP " + std::to_string(reply->status) + " from " + address + ": " + error_text(*reply));
  }
  return reply;
}

namespace {

int fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitError;
}

struct KvOptions {
  std::string key;
  std::string value;
  bool raw = false;
  bool recurse = false;
  std::optional<std::uint64_t> cas;
  std::optional<std::uint64_t> flags;
  std::string separator;
};

int kv_get(const KvOptions& opts, const GlobalOptions& global) {
  const std::string path = "/v1/kv/" + encode_key(opts.key);
  if (opts.raw) {
    auto reply = api_call("GET", global.http_addr, path + "?raw");
    if (!reply.is_ok()) return fail(reply.status());
    std::cout << reply->body;
    return kExitOk;
  }
  auto reply = api_call("GET", global.http_addr, path + (opts.recurse ? "?recurse" : ""));
  if (!reply.is_ok()) {
    if (reply.status().code() == StatusCode::kNotFound) {
      return fail(not_found("key \"" + opts.key + "\" not found"));
    }
    return fail(reply.status());
  }
  auto json = nlohmann::json::parse(reply->body, nullptr, false);
  if (!json.is_array()) return fail(internal_error("unexpected reply: " + reply->body));
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : json) {
    std::string value;
    if (entry.contains("Value") && entry["Value"].is_string()) {
      auto decoded = http::base64_decode(entry["Value"].get<std::string>());
      if (!decoded.is_ok()) return fail(decoded.status());
      value = *decoded;
    }
    out.push_back({{"key", entry.value("Key", "")},
                   {"value", value},
                   {"flags", entry.value("Flags", 0ull)},
                   {"create_index", entry.value("CreateIndex", 0ull)},
                   {"modify_index", entry.value("ModifyIndex", 0ull)}});
    rows.push_back({entry.value("Key", ""), value, std::to_string(entry.value("Flags", 0ull)),
                    std::to_string(entry.value("CreateIndex", 0ull)),
                    std::to_string(entry.value("ModifyIndex", 0ull))});
  }
  if (global.output == "json") {
    std::cout << (opts.recurse ? out : out.at(0)).dump(2) << "\n";
  } else {
    print_table(std::cout, {"KEY", "VALUE", "FLAGS", "CREATE", "MODIFY"}, rows);
  }
  return kExitOk;
}

// PUT and DELETE answer `true` or `false` (a failed compare-and-set).
int kv_write(const std::string& method, const KvOptions& opts, const GlobalOptions& global) {
  std::string query;
  auto add = [&query](const std::string& param) { query += (query.empty() ? "?" : "&") + param; };
  if (opts.cas) add("cas=" + std::to_string(*opts.cas));
  if (opts.flags) add("flags=" + std::to_string(*opts.flags));
  if (opts.recurse) add("recurse");
  auto reply = api_call(method, global.http_addr, "/v1/kv/" + encode_key(opts.key) + query,
                        method == "PUT" ? opts.value : "");
  if (!reply.is_ok()) return fail(reply.status());
  const bool ok = reply->body.find("true") != std::string::npos;
  if (global.output == "json") {
    std::cout << nlohmann::json{{"key", opts.key}, {"ok", ok}}.dump() << "\n";
  } else if (ok) {
    std::cout << (method == "PUT" ? "Success! Data written to: " : "Success! Deleted key: ")
              << opts.key << "\n";
  }
  if (!ok) {
    std::cerr << "error: "
              << (opts.cas ? "compare-and-set failed: the key's ModifyIndex is not " +
                                 std::to_string(*opts.cas)
                           : "the server refused the operation")
              << "\n";
    return kExitError;
  }
  return kExitOk;
}

int kv_ls(const KvOptions& opts, const GlobalOptions& global) {
  std::string target = "/v1/kv/" + encode_key(opts.key) + "?keys";
  if (!opts.separator.empty()) target += "&separator=" + encode_key(opts.separator);
  auto reply = api_call("GET", global.http_addr, target);
  nlohmann::json keys = nlohmann::json::array();
  if (!reply.is_ok()) {
    if (reply.status().code() != StatusCode::kNotFound) return fail(reply.status());
  } else {
    keys = nlohmann::json::parse(reply->body, nullptr, false);
    if (!keys.is_array()) return fail(internal_error("unexpected reply: " + reply->body));
  }
  if (global.output == "json") {
    std::cout << keys.dump(2) << "\n";
  } else {
    for (const auto& key : keys) std::cout << key.get<std::string>() << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_kv_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* kv = app.add_subcommand("kv", "Read and write the replicated key-value store");
  kv->require_subcommand(1);
  auto opts = std::make_shared<KvOptions>();

  auto* get = kv->add_subcommand("get", "Read a key (linearizable)");
  get->add_option("KEY", opts->key, "Key")->required();
  get->add_flag("--raw", opts->raw, "Print only the value's bytes");
  get->add_flag("--recurse", opts->recurse, "Every key under the prefix KEY");
  get->callback(
      [&action, &global, opts] { action = [&global, opts] { return kv_get(*opts, global); }; });

  auto* put = kv->add_subcommand("put", "Write a key");
  put->add_option("KEY", opts->key, "Key")->required();
  put->add_option("VALUE", opts->value, "Value (may be empty)");
  put->add_option("--cas", opts->cas, "Write only if the key's ModifyIndex is N (0: create only)");
  put->add_option("--flags", opts->flags, "Opaque 64-bit flags stored with the value");
  put->callback([&action, &global, opts] {
    action = [&global, opts] { return kv_write("PUT", *opts, global); };
  });

  auto* del = kv->add_subcommand("del", "Delete a key (or a prefix with --recurse)");
  del->add_option("KEY", opts->key, "Key or prefix")->required();
  del->add_flag("--recurse", opts->recurse, "Delete every key under the prefix");
  del->add_option("--cas", opts->cas, "Delete only if the key's ModifyIndex is N");
  del->callback([&action, &global, opts] {
    action = [&global, opts] { return kv_write("DELETE", *opts, global); };
  });

  auto* ls = kv->add_subcommand("ls", "List keys under a prefix");
  ls->add_option("PREFIX", opts->key, "Prefix (default: all keys)");
  ls->add_option("--separator", opts->separator, "Group keys up to this separator (like a tree)");
  ls->callback(
      [&action, &global, opts] { action = [&global, opts] { return kv_ls(*opts, global); }; });
}

}  // namespace synod::node::cli
