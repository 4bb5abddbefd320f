#include "tests/harness/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "tests/harness/process_util.h"

namespace synod::test {
namespace {

// SYNOD_REDIS_SERVER, else redis-server from PATH.
Result<std::string> find_redis_server() {
  if (const char* env = std::getenv("SYNOD_REDIS_SERVER"); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) == 0) return std::string(env);
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return failed_precondition(
      "redis-server not found in PATH (or SYNOD_REDIS_SERVER); install the Debian package "
      "'redis-server' (scripts/install-deps.sh)");
}

// Sends `request` over a fresh connection and returns what one recv() gives
// (enough for the short replies the harness needs); "" on failure.
std::string round_trip(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n > 0) reply.assign(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

// One PING; true on "+PONG" (not "-LOADING ...").
bool ping(int port) { return round_trip(port, "PING\r\n").rfind("+PONG", 0) == 0; }

}  // namespace

Result<std::unique_ptr<RedisServer>> RedisServer::start(std::vector<std::string> extra_args) {
  reap_orphaned_servers();
  SYNOD_ASSIGN_OR_RETURN(std::string binary, find_redis_server());
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->owner_pid_ = ::getpid();
  server->extra_args_ = std::move(extra_args);
  server->extra_args_.insert(server->extra_args_.begin(), binary);
  SYNOD_ASSIGN_OR_RETURN(server->dir_, make_temp_dir("synod-redis-"));
  Status started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    SYNOD_ASSIGN_OR_RETURN(server->port_, pick_free_loopback_port());
    started = server->launch();
    if (started.is_ok()) break;
  }
  SYNOD_RETURN_IF_ERROR(started);
  return server;
}

Status RedisServer::launch() {
  // The binary is extra_args_[0]; our fixed options come before the caller's
  // extras so that an extra such as "--appendfsync everysec" wins.
  std::vector<std::string> argv = {extra_args_[0],
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--appendonly",
                                   "yes",
                                   "--appendfsync",
                                   "always",
                                   "--save",
                                   "",
                                   "--daemonize",
                                   "no",
                                   "--protected-mode",
                                   "no"};
  argv.insert(argv.end(), extra_args_.begin() + 1, extra_args_.end());
  std::string log = dir_ + "/server.log";
  SYNOD_ASSIGN_OR_RETURN(pid_, spawn_child(argv, log));
  write_server_record(
      {"redis", process_identity(::getpid()), dir_, pid_, process_identity(pid_), ""});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping(port_)) return Status::ok();
    if (child_exited(pid_)) {
      pid_ = 0;
      return internal_error("redis-server on 127.0.0.1:" + std::to_string(port_) +
                            " exited at start-up:\n" + file_tail(log, 1000));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop_child(pid_, SIGKILL, std::chrono::seconds(5));
  pid_ = 0;
  return timeout_error("redis-server on 127.0.0.1:" + std::to_string(port_) +
                       " did not answer PING within 30 s:\n" + file_tail(log, 1000));
}

Status RedisServer::shutdown() {
  if (pid_ > 0) stop_child(pid_, SIGTERM, std::chrono::seconds(20));
  pid_ = 0;
  return Status::ok();
}

Status RedisServer::crash() {
  if (pid_ > 0) stop_child(pid_, SIGKILL, std::chrono::seconds(5));
  pid_ = 0;
  return Status::ok();
}

Status RedisServer::restart() {
  if (pid_ > 0) return Status::ok();
  return launch();
}

void RedisServer::stop() {
  if (owner_pid_ != ::getpid() || dir_.empty()) return;
  (void)shutdown();
  remove_tree(dir_);
  remove_server_record(dir_);
  dir_.clear();
}

RedisServer::~RedisServer() { stop(); }

Result<std::string> RedisServer::command(const std::vector<std::string>& argv) const {
  std::string request = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  std::string reply = round_trip(port_, request);
  if (reply.empty()) return unavailable("redis 127.0.0.1:" + std::to_string(port_) + ": no reply");
  if (reply[0] == '-') return internal_error("redis replied " + reply);
  return reply;
}

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

Result<RedisServer*> shared_redis() {
  return shared_server<RedisServer>([] { return RedisServer::start(); });
}

}  // namespace synod::test
