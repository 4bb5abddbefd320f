// A closed-loop HTTP load generator for inference benchmarks (`synod bench
// infer`, bench/inference/infer_bench): `concurrency` threads, each with one
// keep-alive connection and one request outstanding, for a fixed time.
// Latency percentiles are exact (every sample kept). Each worker builds its
// HTTP/1.1 request bytes once and sends them with one write per call; the
// response is parsed just enough (status, Content-Length,
// X-Synod-Served-By), so the client takes little of a shared machine's CPU.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace synod::node::inference {

struct LoadOptions {
  std::string address;  // host:port
  std::string method = "POST";
  std::string target;   // "/v2/models/mlp/infer"
  std::string body;
  // Extra request headers, e.g. {"Inference-Header-Content-Length", "42"}
  // for binary tensor data; a "Content-Type" here replaces application/json.
  std::vector<std::pair<std::string, std::string>> headers;
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
