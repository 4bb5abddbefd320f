// Small POSIX helpers shared by the throw-away server harnesses: running a
// command to completion, spawning a long-lived child, free loopback ports,
// temp dirs, and the record of started servers that lets a later run (or the
// ctest cleanup fixture) stop servers whose test process died.
//
// Test-only code: everything is synchronous and may block for seconds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::test {

// Runs argv[0] (looked up in PATH) with argv, no shell, stdout+stderr appended
// to `log_path`, and waits for it. Non-zero exit -> an error quoting the command
// and the tail of the log.
Status run_command(const std::vector<std::string>& argv, const std::string& log_path);

// Forks and execs argv with stdout+stderr appended to `log_path`. The child gets
// PR_SET_PDEATHSIG(SIGTERM), so it stops if the thread that spawned it dies.
Result<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& log_path);

// Sends `signal` to pid and waits up to `grace` for it to exit, then SIGKILLs
// it. Only ever called with pids this process spawned.
void stop_child(pid_t pid, int signal, std::chrono::milliseconds grace);

// True if a child this process spawned has exited (reaps it).
bool child_exited(pid_t pid);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
Result<int> pick_free_loopback_port();

// True if something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

// mkdtemp under /tmp with `prefix`; chowned to `owner` if not empty and we are root.
Result<std::string> make_temp_dir(const std::string& prefix, const std::string& owner = "");

// rm -rf of a directory this harness created.
void remove_tree(const std::string& path);

// The last `max_bytes` of a file, for error messages.
std::string file_tail(const std::string& path, std::size_t max_bytes = 2000);

bool file_exists(const std::string& path);

// Start-up identity of a process (pid + start time from /proc), so a record
// cannot be confused with a later process that reuses the pid.
std::string process_identity(pid_t pid);

// A server shared by every test of one process: started by `start()` on first
// use, destroyed (stopped) at process exit. A failed start is remembered, so
// every later caller sees the same clear error.
template <typename Server, typename StartFn>
Result<Server*> shared_server(StartFn start) {
  static std::mutex mutex;
  static std::unique_ptr<Server> server;
  static Status failure;
  std::lock_guard lock(mutex);
  if (server) return server.get();
  if (!failure.is_ok()) return failure;
  auto started = start();
  if (!started.is_ok()) {
    failure = started.status();
    return failure;
  }
  server = std::move(started).value();
  return server.get();
}

// ---- the record of running servers ---------------------------------------
// Each started server writes a record under /tmp/synod-test-servers/. If the
// owning test process dies without stopping it (a crash, a ctest timeout),
// reap_orphaned_servers() — called at every server start and by the
// `synod_test_servers_reap` cleanup fixture — stops it and removes its dir.
struct ServerRecord {
  std::string kind;             // "postgres" or "redis"
  std::string owner_identity;   // process_identity() of the test process
  std::string data_dir;         // the temp dir the server lives in
  pid_t server_pid = 0;         // redis: the child pid; postgres: 0 (pg_ctl knows)
  std::string server_identity;  // process_identity(server_pid) for redis
  std::string stop_command;     // postgres: the pg_ctl binary
};

// Writes/updates the record for `record.data_dir`.
void write_server_record(const ServerRecord& record);
void remove_server_record(const std::string& data_dir);
// Stops servers whose owner is gone. Returns how many it stopped.
int reap_orphaned_servers();

}  // namespace synod::test
