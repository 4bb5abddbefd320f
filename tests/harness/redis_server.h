// A throw-away Redis server for tests: `redis-server` as a child process on a
// free loopback port with an append-only file in a temp dir
// (`--appendonly yes --appendfsync always --save ""`), so what the server
// acknowledged survives a restart of the server.
//
// If redis-server is missing, start() fails with a message naming the Debian
// package. The child gets PR_SET_PDEATHSIG, and the destructor stops it by pid
// (only in the process that started it) and removes the temp dir.
// Not thread-safe; one test thread drives a server.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::test {

class RedisServer {
 public:
  // `extra_args` are appended to the command line (e.g. {"--appendfsync",
  // "everysec"} to test the durability warning).
  static Result<std::unique_ptr<RedisServer>> start(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] std::string host() const { return "127.0.0.1"; }
  [[nodiscard]] int port() const { return port_; }
  // "redis://127.0.0.1:<port>"
  [[nodiscard]] std::string url() const;
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  // Outage simulation. shutdown(): SIGTERM and wait (clean); crash(): SIGKILL;
  // restart(): start again on the same port and dir and wait for PING.
  Status shutdown();
  Status crash();
  Status restart();

  // Sends one command (e.g. {"FLUSHALL"}) and returns the raw RESP reply;
  // an error reply ("-ERR ...") is an error Status.
  Result<std::string> command(const std::vector<std::string>& argv) const;

  // Stops the server for good and removes the dir (also done by the destructor).
  void stop();

 private:
  RedisServer() = default;
  Status launch();

  std::string dir_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  pid_t pid_ = 0;
  int owner_pid_ = 0;
};

// A server shared by every test of this process, started on first use and
// stopped at process exit.
Result<RedisServer*> shared_redis();

}  // namespace synod::test
