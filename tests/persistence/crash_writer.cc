// persistence_crash_writer: the child of the crash tests. Opens a backend,
// appends batches of deterministic entries (test_entries.h) forever, syncs
// each batch and writes the durable index (8 bytes, little-endian) to stdout
// after each sync. The parent SIGKILLs it at random moments.
//
// usage: persistence_crash_writer <backend> <data_dir> <node id> <seed>
//                                 <segment bytes> [sqlite_path]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "persistence/backend.h"
#include "tests/persistence/crash_harness.h"
#include "tests/persistence/test_entries.h"

using namespace synod;
using namespace synod::persistence;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s backend data_dir node seed segment_bytes [sqlite_path]\n",
                 argv[0]);
    return 2;
  }
  BackendOptions options;
  options.backend = argv[1];
  options.data_dir = argv[2];
  options.node_id = NodeId(std::strtoull(argv[3], nullptr, 10));
  std::mt19937_64 rng(std::strtoull(argv[4], nullptr, 10));
  options.segment_bytes = std::strtoull(argv[5], nullptr, 10);
  if (argc > 6) options.sqlite_path = argv[6];
  auto opened = open_backend(options);
  if (!opened.is_ok()) {
    std::fprintf(stderr, "crash writer: %s\n", opened.status().to_string().c_str());
    return 1;
  }
  LogStore& log = (*opened)->log();
  std::uint64_t next = log.last_index().value() + 1;
  for (;;) {
    std::uint64_t n = 1 + rng() % 64;
    std::vector<Entry> batch;
    for (std::uint64_t i = next; i < next + n; ++i) {
      batch.push_back(testing::make_entry(i, 1, testing::crash_entry_size(i)));
    }
    Status s = log.append(batch);
    if (s.is_ok()) s = log.sync();
    if (!s.is_ok()) {
      std::fprintf(stderr, "crash writer: %s\n", s.to_string().c_str());
      return 1;
    }
    next += n;
    Bytes report;
    put_u64(report, log.durable_index().value());
    if (::write(STDOUT_FILENO, report.data(), report.size()) != 8) return 1;
  }
}
