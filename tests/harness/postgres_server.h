// A throw-away PostgreSQL server for tests: initdb into a temp dir, start on a
// free loopback port, create one database, and remove everything afterwards.
//
// PostgreSQL refuses to run as root, so when the test runs as root the data
// dir is chowned to the `postgres` user and initdb/pg_ctl run through
// `runuser -u postgres --`. If the server binaries are missing, start() fails
// with a message naming the Debian package; it never pretends to succeed.
//
// Not thread-safe; one test thread drives a server. The destructor stops the
// server (only if this process started it: a forked child never stops its
// parent's server) and removes the data dir.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::test {

class PostgresServer {
 public:
  // initdb + pg_ctl start + createdb `database`.
  static Result<std::unique_ptr<PostgresServer>> start(const std::string& database = "synod_test");
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // "postgresql://postgres@127.0.0.1:<port>/<database>" (trust authentication).
  [[nodiscard]] std::string url() const { return url_for(database_); }
  // The same server, another database (create it first with exec_sql).
  [[nodiscard]] std::string url_for(const std::string& database) const;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] bool running() const { return running_; }

  // Outage simulation. shutdown(): `pg_ctl stop -m fast` (clean) keeping the
  // data dir and port; crash(): `-m immediate` (no checkpoint, like a power
  // cut of the server process); restart(): start again on the same port and
  // data dir and wait until it accepts connections.
  Status shutdown();
  Status crash();
  Status restart();

  // Stops the server for good and removes the data dir (also done by the destructor).
  void stop();

  // Runs SQL through psql in `database` ("" = the one start() created).
  Status exec_sql(const std::string& sql, const std::string& database = "");

 private:
  PostgresServer() = default;
  Status init_and_start();
  Status pg_ctl_start();
  Status pg_ctl_stop(const char* mode);
  Status as_postgres(std::vector<std::string> argv, const std::string& log);

  std::string bindir_;
  std::string dir_;  // temp dir: data/ under it, sockets in it
  std::string database_;
  int port_ = 0;
  int owner_pid_ = 0;
  bool running_ = false;
};

// A server shared by every test of this process, started on first use and
// stopped at process exit. Tests that must not disturb others (outage tests)
// start their own.
Result<PostgresServer*> shared_postgres();

}  // namespace synod::test
