#include "tests/harness/postgres_server.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/harness/process_util.h"

namespace synod::test {
namespace {

constexpr const char* kPackageHint =
    "install the Debian package 'postgresql' (PostgreSQL 15 server; scripts/install-deps.sh)";

// SYNOD_PG_BINDIR, else the newest /usr/lib/postgresql/<v>/bin holding initdb.
Result<std::string> find_bindir() {
  if (const char* env = std::getenv("SYNOD_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (file_exists(std::string(env) + "/initdb")) return std::string(env);
    return failed_precondition(std::string("SYNOD_PG_BINDIR=") + env + " has no initdb; " +
                               kPackageHint);
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    std::string bin = entry.path().string() + "/bin";
    if (version > best_version && file_exists(bin + "/initdb") && file_exists(bin + "/pg_ctl")) {
      best = bin;
      best_version = version;
    }
  }
  if (best.empty()) {
    return failed_precondition(
        std::string("PostgreSQL server binaries (initdb, pg_ctl) not found under "
                    "/usr/lib/postgresql/*/bin; ") +
        kPackageHint);
  }
  return best;
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start(const std::string& database) {
  reap_orphaned_servers();
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  SYNOD_ASSIGN_OR_RETURN(server->bindir_, find_bindir());
  server->database_ = database;
  server->owner_pid_ = ::getpid();
  SYNOD_RETURN_IF_ERROR(server->init_and_start());
  return server;
}

Status PostgresServer::init_and_start() {
  SYNOD_ASSIGN_OR_RETURN(dir_, make_temp_dir("synod-pg-", "postgres"));
  write_server_record({"postgres", process_identity(::getpid()), dir_, 0, "", bindir_ + "/pg_ctl"});
  SYNOD_RETURN_IF_ERROR(as_postgres(
      {bindir_ + "/initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", dir_ + "/data"},
      dir_ + "/initdb.log"));
  // The port was free when picked; another process may grab it first, so retry.
  Status started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    SYNOD_ASSIGN_OR_RETURN(port_, pick_free_loopback_port());
    started = pg_ctl_start();
    if (started.is_ok()) break;
  }
  SYNOD_RETURN_IF_ERROR(started);
  return run_command({bindir_ + "/createdb", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                      "postgres", database_},
                     dir_ + "/createdb.log");
}

Status PostgresServer::as_postgres(std::vector<std::string> argv, const std::string& log) {
  if (::geteuid() == 0) {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  return run_command(argv, log);
}

Status PostgresServer::pg_ctl_start() {
  std::string options =
      "-p " + std::to_string(port_) + " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=on";
  Status s = as_postgres({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log",
                          "-o", options, "-w", "-t", "60", "start"},
                         dir_ + "/pg_ctl.log");
  if (!s.is_ok()) {
    return s.with_context("starting PostgreSQL on 127.0.0.1:" + std::to_string(port_) +
                          " (server log: " + file_tail(dir_ + "/server.log", 1000) + ")");
  }
  running_ = true;
  return Status::ok();
}

Status PostgresServer::pg_ctl_stop(const char* mode) {
  if (!running_) return Status::ok();
  Status s = as_postgres({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", mode, "-w", "stop"},
                         dir_ + "/pg_ctl.log");
  if (s.is_ok()) running_ = false;
  return s;
}

Status PostgresServer::shutdown() { return pg_ctl_stop("fast"); }
Status PostgresServer::crash() { return pg_ctl_stop("immediate"); }

Status PostgresServer::restart() {
  if (running_) return Status::ok();
  return pg_ctl_start();
}

void PostgresServer::stop() {
  if (owner_pid_ != ::getpid() || dir_.empty()) return;
  (void)pg_ctl_stop("fast");
  remove_tree(dir_);
  remove_server_record(dir_);
  dir_.clear();
}

PostgresServer::~PostgresServer() { stop(); }

std::string PostgresServer::url_for(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Status PostgresServer::exec_sql(const std::string& sql, const std::string& database) {
  return run_command({bindir_ + "/psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                      "-p", std::to_string(port_), "-U", "postgres", "-d",
                      database.empty() ? database_ : database, "-c", sql},
                     dir_ + "/psql.log");
}

Result<PostgresServer*> shared_postgres() {
  return shared_server<PostgresServer>([] { return PostgresServer::start(); });
}

}  // namespace synod::test
