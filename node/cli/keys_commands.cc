// `synod keys gen|list|install|use|remove|backup|restore`: the cluster
// keyring and node key (docs/crypto.md). list/install/use/remove talk to one
// node's /v1/operator/keyring (--http-addr): the keyring is replicated
// through Raft, so one call changes it on every node. With --data-dir or
// -c they edit a STOPPED node's keyring.json instead (a running node
// rewrites that file from the replicated keyring).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "crypto/backup.h"
#include "crypto/keyring.h"
#include "crypto/node_key.h"
#include "node/cli/commands.h"
#include "node/cli/tool_commands.h"

namespace synod::node::cli {
namespace {

struct KeysOptions {
  std::string config;
  std::string data_dir;
  std::string node_key_file;
  std::string key;
  std::string file;
  std::string passphrase_file;
  std::vector<std::string> share_files;
  int shares = 0;
  int threshold = 0;
};

int fail(const Status& status) {
  std::cerr << "error: " << status.to_string() << "\n";
  return kExitError;
}

// The data dir and node key path from --data-dir or the config file.
Status resolve(KeysOptions& o) {
  if (!o.config.empty()) {
    config::LoadOptions load;
    load.file = o.config;
    auto config = config::load(load);
    if (!config.is_ok()) return config.status();
    if (o.data_dir.empty()) o.data_dir = config->node.data_dir;
    o.node_key_file = config->crypto.node_key_file;
  }
  if (o.data_dir.empty()) return invalid_argument("give the node's --data-dir or -c node.yaml");
  o.node_key_file = crypto::node_key_path(o.data_dir, o.node_key_file);
  return Status::ok();
}

Result<crypto::Keyring> load_ring(const KeysOptions& o) {
  auto ring = crypto::load_keyring(crypto::keyring_path(o.data_dir));
  if (!ring.is_ok() && ring.status().code() == StatusCode::kNotFound) return crypto::Keyring();
  return ring;
}

Result<std::string> passphrase(const KeysOptions& o) {
  std::string text;
  if (!o.passphrase_file.empty()) {
    SYNOD_ASSIGN_OR_RETURN(text, crypto::read_file(o.passphrase_file));
  } else if (const char* env = std::getenv("SYNOD_BACKUP_PASSPHRASE")) {
    text = env;
  } else {
    std::cerr << "passphrase: ";
    std::getline(std::cin, text);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return invalid_argument("the backup passphrase is empty");
  return text;
}

bool offline(const KeysOptions& o) { return !o.data_dir.empty() || !o.config.empty(); }

// install/use/remove through the HTTP API (one call for the whole cluster).
int edit_cluster(const KeysOptions& o, const std::string& verb, const GlobalOptions& global) {
  if (auto key = crypto::key_from_base64(o.key, "KEY"); !key.is_ok()) return fail(key.status());
  const std::string method = verb == "install" ? "POST" : verb == "use" ? "PUT" : "DELETE";
  auto reply = api_call(method, global.http_addr, "/v1/operator/keyring",
                        nlohmann::json{{"Key", o.key}}.dump(), std::chrono::seconds(30));
  if (!reply.is_ok()) {
    std::cerr << "error: " << reply.status().message() << "\n";
    return kExitError;
  }
  std::cout << verb << ": done (replicated to every node)\n";
  return kExitOk;
}

int list_cluster(const GlobalOptions& global) {
  auto reply = api_call("GET", global.http_addr, "/v1/operator/keyring");
  if (!reply.is_ok()) {
    std::cerr << "error: " << reply.status().message() << "\n";
    return kExitError;
  }
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_array()) {
    return fail(internal_error("unexpected /v1/operator/keyring reply from " + global.http_addr));
  }
  if (global.output == "json") {
    std::cout << body.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& pool : body) {
    const auto nodes = pool.value("NumNodes", 0);
    const auto primary = pool.value("PrimaryKeys", nlohmann::json::object());
    const auto keys = pool.value("Keys", nlohmann::json::object());
    for (const auto& [k, count] : keys.items()) {
      std::cout << k << (primary.contains(k) ? "  (primary)" : "") << "  [" << count.dump() << "/"
                << nodes << "]\n";
    }
  }
  return kExitOk;
}

int edit_ring(KeysOptions& o, const std::string& verb, const GlobalOptions& global) {
  if (!offline(o)) return edit_cluster(o, verb, global);
  if (Status s = resolve(o); !s.is_ok()) return fail(s);
  auto ring = load_ring(o);
  if (!ring.is_ok()) return fail(ring.status());
  auto key = crypto::key_from_base64(o.key, "KEY");
  if (!key.is_ok()) return fail(key.status());
  Status status;
  if (verb == "install") {
    ring->install(*key);
  } else if (verb == "use") {
    status = ring->use(*key);
  } else {
    status = ring->remove(*key);
  }
  if (!status.is_ok()) return fail(status);
  status = crypto::save_keyring(crypto::keyring_path(o.data_dir), *ring);
  if (!status.is_ok()) return fail(status);
  std::cout << verb << ": done (" << ring->keys().size() << " keys installed)\n";
  return kExitOk;
}

int list_ring(KeysOptions& o, const GlobalOptions& global) {
  if (!offline(o)) return list_cluster(global);
  if (Status s = resolve(o); !s.is_ok()) return fail(s);
  auto ring = load_ring(o);
  if (!ring.is_ok()) return fail(ring.status());
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& k : ring->keys()) keys[crypto::base64_encode(k.view())] = 1;
  const std::string primary = ring->empty() ? "" : crypto::base64_encode(ring->primary().view());
  if (global.output == "json") {
    std::cout << nlohmann::json{{"Keys", keys}, {"PrimaryKeys", {{primary, 1}}}}.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [k, _] : keys.items()) {
    std::cout << k << (k == primary ? "  (primary)" : "") << "\n";
  }
  return kExitOk;
}

int backup(KeysOptions& o) {
  if (Status s = resolve(o); !s.is_ok()) return fail(s);
  crypto::BackupContents contents;
  auto ring = load_ring(o);
  if (!ring.is_ok()) return fail(ring.status());
  contents.keyring = std::move(*ring);
  auto node_key = crypto::load_node_key(o.node_key_file);
  if (node_key.is_ok()) contents.node_key = *node_key;
  if (contents.keyring.empty() && !contents.node_key) {
    return fail(not_found("nothing to back up in " + o.data_dir));
  }
  if (o.shares > 0) {
    std::vector<crypto::Share> shares;
    auto file = crypto::seal_backup_shared(contents, o.shares, o.threshold, &shares);
    if (!file.is_ok()) return fail(file.status());
    if (Status s = crypto::write_secret_file(o.file, *file); !s.is_ok()) return fail(s);
    for (const auto& share : shares) {
      const std::string path = o.file + ".share-" + std::to_string(share.x);
      if (Status s = crypto::write_secret_file(path, crypto::encode_share(share)); !s.is_ok()) {
        return fail(s);
      }
      std::cout << "share " << static_cast<int>(share.x) << ": " << path << "\n";
    }
    std::cout << "backup written to " << o.file << "; any " << o.threshold << " of the " << o.shares
              << " shares restore it\n";
    return kExitOk;
  }
  auto pass = passphrase(o);
  if (!pass.is_ok()) return fail(pass.status());
  auto file = crypto::seal_backup(contents, *pass);
  crypto::wipe(*pass);
  if (!file.is_ok()) return fail(file.status());
  if (Status s = crypto::write_secret_file(o.file, *file); !s.is_ok()) return fail(s);
  std::cout << "backup written to " << o.file << "\n";
  return kExitOk;
}

int restore(KeysOptions& o) {
  if (Status s = resolve(o); !s.is_ok()) return fail(s);
  auto text = crypto::read_file(o.file);
  if (!text.is_ok()) return fail(text.status());
  Result<crypto::BackupContents> contents = internal_error("unset");
  if (!o.share_files.empty()) {
    std::vector<crypto::Share> shares;
    for (const auto& path : o.share_files) {
      auto share_text = crypto::read_file(path);
      if (!share_text.is_ok()) return fail(share_text.status());
      auto share = crypto::decode_share(*share_text);
      if (!share.is_ok()) return fail(share.status().with_context(path));
      shares.push_back(std::move(*share));
    }
    contents = crypto::open_backup_shared(*text, shares);
  } else {
    auto pass = passphrase(o);
    if (!pass.is_ok()) return fail(pass.status());
    contents = crypto::open_backup(*text, *pass);
    crypto::wipe(*pass);
  }
  if (!contents.is_ok()) return fail(contents.status());
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (Status s = crypto::save_keyring(crypto::keyring_path(o.data_dir), contents->keyring);
      !s.is_ok()) {
    return fail(s);
  }
  if (contents->node_key) {
    if (Status s = crypto::save_node_key(o.node_key_file, *contents->node_key); !s.is_ok()) {
      return fail(s);
    }
  }
  std::cout << "restored " << contents->keyring.keys().size() << " cluster keys"
            << (contents->node_key ? " and the node key" : "") << " into " << o.data_dir << "\n";
  return kExitOk;
}

void add_location(CLI::App* cmd, KeysOptions& o) {
  cmd->add_option("-c,--config", o.config, "The node's config file (for its data dir)");
  cmd->add_option("--data-dir", o.data_dir, "The node's data dir (node.data_dir)");
}

// list/install/use/remove: the cluster through --http-addr, or a stopped
// node's files with --data-dir / -c.
void add_offline_location(CLI::App* cmd, KeysOptions& o) {
  cmd->add_option("-c,--config", o.config,
                  "Edit a STOPPED node's keyring.json (data dir from its config) instead of the "
                  "cluster's replicated keyring");
  cmd->add_option("--data-dir", o.data_dir,
                  "Edit a STOPPED node's keyring.json in this data dir instead of the cluster's "
                  "replicated keyring");
}

}  // namespace

void register_keys_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* keys = app.add_subcommand(
      "keys", "Cluster keyring and node key: generate, list, install, use, remove, back up");
  keys->require_subcommand(1);
  auto o = std::make_shared<KeysOptions>();

  auto* gen = keys->add_subcommand("gen", "Print a new random cluster key (base64 of 32 bytes)");
  gen->add_option("--node-key", o->file,
                  "Instead write a new node key pair to this file (0600) and print its public key");
  gen->callback([&action, o] {
    action = [o] {
      if (o->file.empty()) {
        std::cout << crypto::base64_encode(crypto::random_key().view()) << "\n";
        return kExitOk;
      }
      const crypto::NodeKey key = crypto::NodeKey::generate();
      if (Status s = crypto::save_node_key(o->file, key); !s.is_ok()) return fail(s);
      std::cout << key.public_base64() << "\n";
      return kExitOk;
    };
  });

  auto* list = keys->add_subcommand(
      "list", "List the cluster keyring (replicated; via --http-addr) and the primary");
  add_offline_location(list, *o);
  list->callback(
      [&action, &global, o] { action = [o, &global] { return list_ring(*o, global); }; });

  for (const char* verb : {"install", "use", "remove"}) {
    const std::string v = verb;
    const std::string help =
        v == "install" ? "Add a cluster key to the keyring of every node (via --http-addr)"
        : v == "use"   ? "Make an installed key the primary on every node (via --http-addr)"
                       : "Remove a (non-primary) key from every node (via --http-addr)";
    auto* cmd = keys->add_subcommand(v, help);
    cmd->add_option("KEY", o->key, "base64 cluster key")->required();
    add_offline_location(cmd, *o);
    cmd->callback([&action, &global, o, v] {
      action = [o, v, &global] { return edit_ring(*o, v, global); };
    });
  }

  auto* bak = keys->add_subcommand(
      "backup", "Seal the keyring and node key into a file (passphrase, or Shamir shares)");
  add_location(bak, *o);
  bak->add_option("--out", o->file, "Backup file to write (0600)")->required();
  bak->add_option("--passphrase-file", o->passphrase_file,
                  "File holding the passphrase (else env SYNOD_BACKUP_PASSPHRASE, else stdin)");
  bak->add_option("--shares", o->shares, "Split the backup key into N share files (OUT.share-i)");
  bak->add_option("--threshold", o->threshold, "Shares needed to restore (with --shares)");
  bak->callback([&action, o] {
    action = [o] {
      if ((o->shares > 0) != (o->threshold > 0)) {
        std::cerr << "error: --shares and --threshold go together\n";
        return kExitUsage;
      }
      return backup(*o);
    };
  });

  auto* res = keys->add_subcommand("restore", "Restore the keyring and node key from a backup");
  add_location(res, *o);
  res->add_option("--in", o->file, "Backup file")->required();
  res->add_option("--passphrase-file", o->passphrase_file, "File holding the passphrase");
  res->add_option("--share", o->share_files, "A share file (repeat, at least the threshold)");
  res->callback([&action, o] { action = [o] { return restore(*o); }; });
}

}  // namespace synod::node::cli
