// persistence_bench: append throughput of every storage backend for 256 B
// entries at 1, 16 and 256 entries per sync, the raw sequential
// write+fdatasync bandwidth of the same disk in the same run, and the time to
// reopen (recover) a file-backend log of 1 million entries. Prints a table.
//
//   persistence_bench [--dir DIR] [--backends file,memory,...]
//                     [--seconds S] [--recovery-entries N]
//                     [--postgres-url URL] [--redis-address HOST:PORT]
//                     [--redis-password P] [--sqlite-path PATH]
// Server URLs may also come from SYNOD_BENCH_POSTGRES_URL and
// SYNOD_BENCH_REDIS_ADDRESS. A server backend without an address, or whose
// server cannot be reached, is skipped with a printed note.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "persistence/backend.h"

using namespace synod;
using namespace synod::persistence;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kEntryBytes = 256;

struct Flags {
  std::string dir;
  std::vector<std::string> backends;
  double seconds = 2.0;
  std::uint64_t recovery_entries = 1000000;
  std::string postgres_url, redis_address, redis_password, sqlite_path;
};

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  f.postgres_url = env_or("SYNOD_BENCH_POSTGRES_URL", "");
  f.redis_address = env_or("SYNOD_BENCH_REDIS_ADDRESS", "");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--dir")
      f.dir = value();
    else if (a == "--backends") {
      std::stringstream ss(value());
      for (std::string name; std::getline(ss, name, ',');) f.backends.push_back(name);
    } else if (a == "--seconds")
      f.seconds = std::stod(value());
    else if (a == "--recovery-entries")
      f.recovery_entries = std::stoull(value());
    else if (a == "--postgres-url")
      f.postgres_url = value();
    else if (a == "--redis-address")
      f.redis_address = value();
    else if (a == "--redis-password")
      f.redis_password = value();
    else if (a == "--sqlite-path")
      f.sqlite_path = value();
    else {
      std::fprintf(stderr, "unknown flag %s (see the header of persistence_bench.cc)\n", a.c_str());
      std::exit(2);
    }
  }
  if (f.backends.empty()) f.backends = registered_backends();
  return f;
}

BackendOptions options_for(const Flags& f, const std::string& backend, const std::string& dir,
                           NodeId node) {
  BackendOptions o;
  o.backend = backend;
  o.node_id = node;
  o.data_dir = dir;
  o.postgres_url = f.postgres_url;
  o.redis_address = f.redis_address;
  o.redis_password = f.redis_password;
  o.sqlite_path = f.sqlite_path;
  return o;
}

// Why a backend cannot run here, or "" if it can.
std::string missing_server(const Flags& f, const std::string& backend) {
  if (backend == "postgres" && f.postgres_url.empty()) return "no --postgres-url given";
  if (backend == "redis" && f.redis_address.empty()) return "no --redis-address given";
  return "";
}

struct Row {
  std::string backend;
  int batch = 0;
  std::uint64_t entries = 0;
  double seconds = 0;
  double p50_sync_ms = 0;
  [[nodiscard]] double entries_per_s() const { return entries / seconds; }
  [[nodiscard]] double mb_per_s() const { return entries * kEntryBytes / seconds / 1e6; }
};

std::vector<Entry> make_batch(std::uint64_t first, int n, const std::string& payload) {
  std::vector<Entry> batch(n);
  for (int i = 0; i < n; ++i) {
    batch[i].index = LogIndex(first + i);
    batch[i].term = Term(1);
    batch[i].data = payload;
  }
  return batch;
}

Result<Row> run_append(const Flags& f, const std::string& backend, const std::string& dir,
                       int batch_size, NodeId node) {
  SYNOD_ASSIGN_OR_RETURN(auto store, open_backend(options_for(f, backend, dir, node)));
  LogStore& log = store->log();
  std::string payload(kEntryBytes, 'x');
  std::uint64_t next = log.last_index().value() + 1;
  std::vector<double> syncs;
  Row row{backend, batch_size};
  auto start = Clock::now();
  while (since(start) < f.seconds) {
    auto batch = make_batch(next, batch_size, payload);
    SYNOD_RETURN_IF_ERROR(log.append(batch));
    auto sync_start = Clock::now();
    SYNOD_RETURN_IF_ERROR(log.sync());
    syncs.push_back(since(sync_start) * 1e3);
    next += batch_size;
    row.entries += batch_size;
  }
  row.seconds = since(start);
  std::sort(syncs.begin(), syncs.end());
  row.p50_sync_ms = syncs.empty() ? 0 : syncs[syncs.size() / 2];
  return row;
}

// Sequential write+fdatasync of 256 x 256 B blocks to a growing temp file:
// the ceiling a log on this disk can reach at 256 entries per sync.
Result<Row> run_raw_fdatasync(const Flags& f, const std::string& dir) {
  std::string path = dir + "/raw-fdatasync";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + path);
  std::string block(256 * kEntryBytes, 'r');
  std::vector<double> syncs;
  Row row{"raw fdatasync", 256};
  auto start = Clock::now();
  while (since(start) < f.seconds) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
      ::close(fd);
      return io_error("write " + path);
    }
    auto sync_start = Clock::now();
    if (::fdatasync(fd) != 0) {
      ::close(fd);
      return io_error("fdatasync " + path);
    }
    syncs.push_back(since(sync_start) * 1e3);
    row.entries += 256;
  }
  row.seconds = since(start);
  ::close(fd);
  fs::remove(path);
  std::sort(syncs.begin(), syncs.end());
  row.p50_sync_ms = syncs[syncs.size() / 2];
  return row;
}

Result<double> run_recovery(const Flags& f, const std::string& backend, const std::string& dir) {
  NodeId node(99);
  {
    SYNOD_ASSIGN_OR_RETURN(auto store, open_backend(options_for(f, backend, dir, node)));
    std::string payload(kEntryBytes, 'y');
    std::uint64_t next = store->log().last_index().value() + 1;
    for (std::uint64_t written = 0; written < f.recovery_entries; written += 4096) {
      int n = static_cast<int>(std::min<std::uint64_t>(4096, f.recovery_entries - written));
      SYNOD_RETURN_IF_ERROR(store->log().append(make_batch(next, n, payload)));
      SYNOD_RETURN_IF_ERROR(store->log().sync());
      next += n;
    }
  }
  auto start = Clock::now();
  SYNOD_ASSIGN_OR_RETURN(auto store, open_backend(options_for(f, backend, dir, node)));
  double seconds = since(start);
  if (store->log().last_index().value() < f.recovery_entries) {
    return internal_error("recovered log is short: " + store->log().last_index().to_string());
  }
  return seconds;
}

void print_row(const Row& r, double raw_mb) {
  std::printf("%-14s %6d %10llu %12.0f %9.2f %11.3f", r.backend.c_str(), r.batch,
              static_cast<unsigned long long>(r.entries), r.entries_per_s(), r.mb_per_s(),
              r.p50_sync_ms);
  if (r.batch == 256 && raw_mb > 0 && r.backend != "memory")
    std::printf("   %5.1f%% of raw", 100 * r.mb_per_s() / raw_mb);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = parse_flags(argc, argv);
  std::string root = f.dir.empty() ? fs::temp_directory_path().string() : f.dir;
  std::string dir = root + "/synod-persistence-bench-" + std::to_string(::getpid());
  fs::create_directories(dir);
  std::printf("persistence_bench: %zu B entries, %.1f s per case, data in %s\n\n", kEntryBytes,
              f.seconds, dir.c_str());

  // The disk is shared and noisy: the raw ceiling is measured before and
  // after the backends, and the percentages use the mean of the two.
  auto raw_before = run_raw_fdatasync(f, dir);
  std::vector<Row> rows;
  std::vector<std::string> notes;
  std::uint64_t node = 1;
  for (const std::string& backend : f.backends) {
    if (std::string why = missing_server(f, backend); !why.empty()) {
      notes.push_back(backend + ": skipped (" + why + ")");
      continue;
    }
    for (int batch : {1, 16, 256}) {
      auto row = run_append(f, backend, dir, batch, NodeId(node++));
      if (!row.is_ok()) {
        notes.push_back(backend + ": skipped (" + row.status().to_string() + ")");
        break;
      }
      rows.push_back(*row);
    }
  }
  auto raw_after = run_raw_fdatasync(f, dir);
  double raw_mb = 0;
  std::printf("%-14s %6s %10s %12s %9s %11s\n", "backend", "batch", "entries", "entries/s", "MB/s",
              "p50 sync ms");
  for (auto* raw : {&raw_before, &raw_after}) {
    if (raw->is_ok()) {
      print_row(**raw, 0);
      raw_mb += (*raw)->mb_per_s() / 2;
    } else {
      std::printf("raw fdatasync failed: %s\n", raw->status().to_string().c_str());
    }
  }
  for (const Row& row : rows) print_row(row, raw_mb);
  std::printf(
      "(%% of raw: MB/s of entry payload against the mean raw write+fdatasync MB/s, "
      "%.2f)\n",
      raw_mb);
  for (const auto& note : notes) std::printf("note: %s\n", note.c_str());

  if (f.recovery_entries > 0) {
    auto recovery = run_recovery(f, "file", dir);
    if (recovery.is_ok()) {
      std::printf("\nrecovery: file backend reopens a log of %llu entries (%.0f MB) in %.2f s\n",
                  static_cast<unsigned long long>(f.recovery_entries),
                  f.recovery_entries * (kEntryBytes + 25) / 1e6, *recovery);
    } else {
      std::printf("\nrecovery: failed: %s\n", recovery.status().to_string().c_str());
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
