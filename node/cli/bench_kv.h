// `synod bench kv`: a closed-loop KV load generator (Asio + Beast, keep-alive)
// that measures synod's Consul KV API or etcd's v3 JSON gateway with the
// same client, so the two can be compared side by side.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace synod::node::cli {

struct BenchKvOptions {
  std::string target = "synod";        // synod | etcd
  std::vector<std::string> endpoints;  // host:port, connections spread round-robin
  int connections = 16;                // each keeps one request outstanding
  int threads = 1;                     // event-loop threads of the client
  double duration_seconds = 10;        // used when requests == 0
  std::uint64_t requests = 0;          // total requests; 0 = run for the duration
  std::size_t value_size = 256;
  std::uint64_t keys = 10000;  // key space: <prefix>0 .. <prefix>keys-1
  std::string key_prefix = "bench/";
  std::string mode = "write";  // write | read | mixed
  double read_ratio = 0.5;     // mixed: share of reads
  bool stale = false;          // synod ?stale / etcd serializable reads
  int timeout_ms = 5000;       // per request
  std::uint64_t seed = 1;
};

struct BenchKvResult {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_kinds;  // "HTTP 503", "timeout", ...
  double elapsed_seconds = 0;
  double throughput = 0;  // successful requests per second
  // Latencies of successful requests, milliseconds.
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

// Runs the load; never throws; connection failures are counted as errors and
// the connection retries.
BenchKvResult run_bench_kv(const BenchKvOptions& options);

}  // namespace synod::node::cli
