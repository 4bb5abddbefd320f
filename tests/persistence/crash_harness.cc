#include "tests/persistence/crash_harness.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <vector>

#include "tests/persistence/test_entries.h"

namespace synod::persistence::testing {
namespace {

// $SYNOD_CRASH_WRITER, else next to this test binary, else in the
// tests/persistence build folder beside this binary's folder.
std::string writer_path() {
  if (const char* env = std::getenv("SYNOD_CRASH_WRITER")) return env;
  auto dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  for (auto candidate : {dir / "persistence_crash_writer",
                         dir.parent_path() / "persistence" / "persistence_crash_writer"}) {
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return (dir / "persistence_crash_writer").string();
}

// Reads whatever reports are in the pipe within timeout_ms; returns false on
// EOF (the child exited).
bool read_reports(int fd, int timeout_ms, std::uint64_t& max_durable, int& reports) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  char buffer[8 * 64];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) return false;
  // Reports are 8-byte writes to a pipe: atomic, so never split across reads.
  for (ssize_t at = 0; at + 8 <= n; at += 8) {
    max_durable = std::max(max_durable, load_u64(buffer + at));
    ++reports;
  }
  return true;
}

}  // namespace

CrashTestReport run_crash_cycles(const CrashTestOptions& options) {
  CrashTestReport report;
  const std::string writer = writer_path();
  if (!std::filesystem::exists(writer)) {
    ADD_FAILURE() << "crash writer binary missing: " << writer;
    return report;
  }
  std::mt19937_64 rng(options.seed);
  BackendOptions backend_options;
  backend_options.backend = options.backend;
  backend_options.data_dir = options.data_dir;
  backend_options.sqlite_path = options.sqlite_path;
  backend_options.node_id = NodeId(1);
  backend_options.segment_bytes = options.segment_bytes;
  std::uint64_t verified = 0;

  for (int cycle = 0; cycle < options.cycles; ++cycle) {
    int fds[2];
    if (::pipe(fds) != 0) {
      ADD_FAILURE() << "pipe failed";
      return report;
    }
    std::vector<std::string> args = {
        writer, options.backend,       options.data_dir,
        "1",    std::to_string(rng()), std::to_string(options.segment_bytes)};
    if (!options.sqlite_path.empty()) args.push_back(options.sqlite_path);
    pid_t child = ::fork();
    if (child == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(writer.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);

    // The crash moment: sometimes during start-up recovery, mostly a few
    // milliseconds into appending.
    std::uint64_t max_durable = 0;
    int reports = 0;
    bool alive = true;
    if (rng() % 5 == 0) {
      ::usleep(static_cast<useconds_t>(rng() % 3000));
    } else {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (alive && reports == 0 && std::chrono::steady_clock::now() < deadline) {
        alive = read_reports(fds[0], 100, max_durable, reports);
      }
      auto kill_at = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 15000);
      while (alive && std::chrono::steady_clock::now() < kill_at) {
        alive = read_reports(fds[0], 1, max_durable, reports);
      }
    }
    ::kill(child, SIGKILL);
    // Everything already in the pipe was reported before the kill.
    while (read_reports(fds[0], 50, max_durable, reports)) {
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFSIGNALED(status)) {
      ADD_FAILURE() << "cycle " << cycle << ": the writer exited by itself (status " << status
                    << "); see its stderr";
      return report;
    }
    if (reports == 0) ++report.killed_before_first_report;
    report.max_durable_reported = std::max(report.max_durable_reported, max_durable);

    auto opened = open_backend(backend_options);
    if (!opened.is_ok()) {
      ADD_FAILURE() << "cycle " << cycle << ": reopen failed: " << opened.status();
      return report;
    }
    LogStore& log = (*opened)->log();
    std::uint64_t last = log.last_index().value();
    if (last < report.max_durable_reported) {
      ADD_FAILURE() << "cycle " << cycle << ": index " << report.max_durable_reported
                    << " was reported durable but the log ends at " << last;
      return report;
    }
    // Check the entries not verified before (earlier ones cannot change:
    // recovery only ever cuts what was never reported durable), plus a few
    // before them so a damaged boundary is noticed.
    std::uint64_t from = std::max<std::uint64_t>(1, verified > 64 ? verified - 64 : 1);
    auto entries = log.read(LogIndex(from), LogIndex(last + 1));
    if (!entries.is_ok()) {
      ADD_FAILURE() << "cycle " << cycle << ": read failed: " << entries.status();
      return report;
    }
    std::uint64_t expected = from;
    for (const Entry& e : *entries) {
      if (e.index.value() != expected || !entry_intact(e, crash_entry_size(expected))) {
        ADD_FAILURE() << "cycle " << cycle << ": entry " << expected << " missing or damaged";
        return report;
      }
      ++expected;
    }
    if (expected != last + 1) {
      ADD_FAILURE() << "cycle " << cycle << ": read stopped at " << expected << " of " << last;
      return report;
    }
    verified = last;
    report.final_last_index = last;
    ++report.cycles;
  }
  return report;
}

}  // namespace synod::persistence::testing
