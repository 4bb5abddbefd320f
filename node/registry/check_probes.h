// One run of an active health check: HTTP, TCP or script. Each probe is
// asynchronous on the node's io_context (scripts run on a helper thread
// pool) and reports exactly once, on the io_context, with Consul's status
// and an output text.
//
// Status rules (Consul's):
//  - HTTP: any 2xx is passing, 429 Too Many Requests is warning, anything
//    else (other codes, refused, timeout) critical. Output: "HTTP GET <url>:
//    <code> <reason> Output: <body>" with the body truncated to 4 KiB.
//  - TCP: connected within the timeout passing, else critical.
//  - Script: exit code 0 passing, 1 warning, anything else (or killed at the
//    timeout) critical; output is stdout+stderr, truncated to 4 KiB.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"

namespace synod::node::registry {

inline constexpr std::size_t kMaxCheckOutput = 4096;

struct ProbeResult {
  std::string status;  // "passing" | "warning" | "critical"
  std::string output;
};
using ProbeDone = std::function<void(ProbeResult)>;

struct HttpProbe {
  std::string url;  // http://host:port/path (https is reported critical: unsupported)
  std::string method = "GET";
  std::map<std::string, std::vector<std::string>> headers;
  std::string body;
  bool operator==(const HttpProbe&) const = default;
};

// Truncates `text` to kMaxCheckOutput bytes, marking the cut.
std::string truncate_output(std::string text);

void run_http_probe(asio::io_context& io, const HttpProbe& probe, std::chrono::milliseconds timeout,
                    ProbeDone done);
void run_tcp_probe(asio::io_context& io, const std::string& address,
                   std::chrono::milliseconds timeout, ProbeDone done);

// Runs scripts off the loop thread, at most `threads` at a time. The
// destructor kills running children and joins the pool; pending reports are
// dropped.
class ScriptRunner {
 public:
  ScriptRunner(asio::io_context& io, std::size_t threads);
  ~ScriptRunner();
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  // Runs args[0] with args (no shell), killing it after `timeout`.
  void run(std::vector<std::string> args, std::chrono::milliseconds timeout, ProbeDone done);

 private:
  struct Shared;
  asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  asio::thread_pool pool_;
};

}  // namespace synod::node::registry
