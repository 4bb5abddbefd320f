#include "node/cli/cluster_layout.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/node_config.h"

#include "crypto/sodium.h"

namespace synod::node::cli {
namespace fs = std::filesystem;
namespace {

std::string node_dir(const std::string& dir, const std::string& name) { return dir + "/" + name; }
std::string pid_path(const std::string& dir, const std::string& name) {
  return node_dir(dir, name) + "/agent.pid";
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The first min(N, cluster.max_voters) nodes bootstrap as voters; the others
// find they are not among them and join as learners (the voter rules keep
// them non-voters past max_voters).
std::size_t bootstrap_voters(const ClusterLayout& layout) {
  std::uint64_t max_voters = config::NodeConfig{}.cluster.max_voters;
  const std::string key = "cluster.max_voters=";
  for (const auto& set : layout.extra) {
    if (set.rfind(key, 0) == 0) {
      try {
        max_voters = std::stoull(set.substr(key.size()));
      } catch (...) {
      }
    }
  }
  return std::min<std::size_t>(layout.nodes.size(), std::max<std::uint64_t>(1, max_voters));
}

std::string node_yaml(const ClusterLayout& layout, const ClusterNode& node,
                      const std::string& backend, const std::string& models, bool join) {
  std::ostringstream y;
  y << "# Written by `synod cluster up`; see docs/config.md for every key.\n"
    << "node:\n"
    << "  id: " << node.id << "\n"
    << "  name: " << node.name << "\n"
    << "  data_dir: " << yaml_quote(node_dir(layout.dir, node.name) + "/data") << "\n"
    << "addresses:\n"
    << "  http: " << node.http << "\n"
    << "  peer: " << node.peer << "\n"
    << "  gossip: " << node.gossip << "\n"
    << "cluster:\n"
    << "  bootstrap_expect: " << bootstrap_voters(layout) << "\n"
    << (join ? "  join: true\n" : "")
    << "  seeds:\n";
  for (const auto& other : layout.nodes) y << "    - " << other.id << "@" << other.peer << "\n";
  // One cluster key for every node of the layout (docs/crypto.md).
  y << "crypto:\n"
    << "  cluster_key_file: " << yaml_quote(layout.dir + "/cluster.key") << "\n";
  y << "persistence:\n"
    << "  backend: " << backend << "\n";
  if (!models.empty()) {
    y << "inference:\n"
      << "  model_repository: " << yaml_quote(fs::absolute(models).string()) << "\n";
  }
  return y.str();
}

// DIR/<name>/ and its node.yaml.
Status write_node_config(const ClusterLayout& layout, const ClusterNode& node,
                         const std::string& backend, const std::string& models, bool join) {
  std::error_code ec;
  fs::create_directories(node_dir(layout.dir, node.name), ec);
  if (ec) return io_error("create " + node_dir(layout.dir, node.name) + ": " + ec.message());
  const std::string key_file = layout.dir + "/cluster.key";
  if (!fs::exists(key_file)) {  // first node of the layout: a fresh cluster key
    SYNOD_RETURN_IF_ERROR(crypto::write_secret_file(
        key_file, crypto::base64_encode(crypto::random_key().view()) + "\n"));
  }
  std::ofstream out(node.config, std::ios::trunc);
  out << node_yaml(layout, node, backend, models, join);
  if (!out) return io_error("write " + node.config);
  return Status::ok();
}

// DIR/cluster.json: what read_layout() reads back.
Status write_cluster_json(const ClusterLayout& layout) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : layout.nodes) {
    nodes.push_back({{"name", n.name}, {"id", n.id}, {"http", n.http}, {"peer", n.peer},
                     {"gossip", n.gossip}, {"config", n.config}});
  }
  const std::string path = layout.dir + "/cluster.json";
  std::ofstream out(path, std::ios::trunc);
  out << nlohmann::json{{"nodes", nodes}, {"extra", layout.extra}}.dump(2) << "\n";
  if (!out) return io_error("write " + path);
  return Status::ok();
}

int split_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    return std::stoi(address.substr(colon + 1));
  } catch (...) {
    return -1;
  }
}

}  // namespace

const ClusterNode* ClusterLayout::find(const std::string& name) const {
  for (const auto& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

ClusterLayout make_layout(const std::string& dir, int nodes, int base_port) {
  ClusterLayout layout;
  layout.dir = fs::absolute(dir).lexically_normal().string();
  if (!layout.dir.empty() && layout.dir.back() == '/') layout.dir.pop_back();
  for (int k = 1; k <= nodes; ++k) {
    ClusterNode node;
    node.name = "node" + std::to_string(k);
    node.id = static_cast<std::uint64_t>(k);
    const int port = base_port + 10 * (k - 1);
    node.http = "127.0.0.1:" + std::to_string(port);
    node.peer = "127.0.0.1:" + std::to_string(port + 1);
    node.gossip = "127.0.0.1:" + std::to_string(port + 2);
    node.config = node_dir(layout.dir, node.name) + "/node.yaml";
    layout.nodes.push_back(node);
  }
  return layout;
}

Status write_layout(ClusterLayout& layout, const std::string& backend, const std::string& models,
                    const std::vector<std::string>& extra) {
  layout.extra = extra;
  std::error_code ec;
  fs::create_directories(layout.dir, ec);
  if (ec) return io_error("create " + layout.dir + ": " + ec.message());
  for (const auto& node : layout.nodes) {
    SYNOD_RETURN_IF_ERROR(write_node_config(layout, node, backend, models, /*join=*/false));
  }
  return write_cluster_json(layout);
}

Result<ClusterNode> add_node(ClusterLayout& layout, const std::string& backend) {
  if (layout.nodes.empty()) return failed_precondition("the cluster has no nodes");
  const auto http_port = split_port(layout.nodes.front().http);
  if (http_port <= 0) return corruption("cannot read node1's HTTP port from cluster.json");
  const int k = static_cast<int>(layout.nodes.size()) + 1;
  ClusterLayout grown = make_layout(layout.dir, k, http_port);
  ClusterNode node = grown.nodes.back();
  layout.nodes.push_back(node);
  SYNOD_RETURN_IF_ERROR(write_node_config(layout, node, backend, "", /*join=*/true));
  SYNOD_RETURN_IF_ERROR(write_cluster_json(layout));
  return node;
}

Result<ClusterLayout> read_layout(const std::string& dir) {
  ClusterLayout layout;
  layout.dir = fs::absolute(dir).lexically_normal().string();
  if (!layout.dir.empty() && layout.dir.back() == '/') layout.dir.pop_back();
  const std::string path = layout.dir + "/cluster.json";
  std::ifstream in(path);
  if (!in) return not_found(path + " not found: run `synod cluster up --dir " + dir + "` first");
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.contains("nodes")) return corruption(path + ": not a cluster file");
  try {
    for (const auto& n : json["nodes"]) {
      layout.nodes.push_back(ClusterNode{n.at("name"), n.at("id"), n.at("http"), n.at("peer"),
                                         n.at("gossip"), n.at("config")});
    }
    if (json.contains("extra")) layout.extra = json["extra"].get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return corruption(path + ": " + e.what());
  }
  return layout;
}

Result<pid_t> start_agent(const std::string& dir, const ClusterNode& node,
                          const std::vector<std::string>& extra) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return io_error("cannot find the synod binary: " + std::string(std::strerror(errno)));
  self[n] = '\0';
  const std::string log_path = node_dir(dir, node.name) + "/agent.log";
  std::vector<std::string> args = {self, "agent", "-c", node.config};
  std::vector<std::string> overrides = extra;
  if (overrides.empty()) {
    auto layout = read_layout(dir);
    if (layout.is_ok()) overrides = layout->extra;
  }
  for (const auto& o : overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  const pid_t pid = ::fork();
  if (pid < 0) return io_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::setsid();  // own session: Ctrl-C in the terminal reaches only the CLI
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::ofstream(pid_path(dir, node.name), std::ios::trunc) << pid << "\n";
  return pid;
}

pid_t read_pid(const std::string& dir, const std::string& name) {
  std::ifstream in(pid_path(dir, name));
  pid_t pid = 0;
  if (in >> pid) return pid;
  return 0;
}

void remove_pid(const std::string& dir, const std::string& name) {
  std::error_code ec;
  fs::remove(pid_path(dir, name), ec);
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= text.size()) return true;
  return text[close_paren + 2] != 'Z';
}

void reap_children() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace synod::node::cli
