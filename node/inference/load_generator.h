// A closed-loop HTTP load generator for inference benchmarks (`synod bench
// infer`, bench/inference/infer_bench): `concurrency` threads, each with one
// keep-alive connection and one request outstanding, for a fixed time.
// Latency percentiles are exact (every sample kept).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace synod::node::inference {

struct LoadOptions {
  std::string address;  // host:port
  std::string target;   // "/v2/models/mlp/infer"
  std::string body;
  int concurrency = 1;
  std::chrono::milliseconds duration{2000};
  std::chrono::milliseconds warmup{200};
};

struct LoadResult {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  double seconds = 0;
  double throughput = 0;  // successful requests per second
  double p50_ms = 0;
  double p99_ms = 0;
  std::uint64_t calls = 0;   // every call, warm-up included
  double caller_cpu_us = 0;  // mean CPU time of the calling thread per call
  std::string served_by;   // X-Synod-Served-By of the last success
  std::string last_error;  // status and body of the last failure
};

LoadResult run_http_load(const LoadOptions& options);

// The same closed loop around an in-process call (`call` returns success);
// `make_call` builds one callable per thread (e.g. one network each).
LoadResult run_local_load(const std::function<std::function<bool()>()>& make_call,
                          int concurrency, std::chrono::milliseconds duration,
                          std::chrono::milliseconds warmup);

}  // namespace synod::node::inference
