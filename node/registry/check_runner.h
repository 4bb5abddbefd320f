// CheckRunner: runs the health checks this node owns (the checks of the
// services registered through its agent endpoints), Consul-agent style.
//
//  - TTL: critical until the first pass/warn/fail (or the status it was
//    registered with); goes critical "TTL expired" when no update comes
//    within TTL. Every update restarts the TTL at full length.
//  - HTTP / TCP / script: a probe every Interval (the first at once), each
//    bounded by Timeout (default 10 s). Script checks are refused unless
//    checks.enable_script is true.
//  - DeregisterCriticalServiceAfter: a check continuously critical for that
//    long makes the runner ask for its service to be deregistered.
//
// Only changes are reported: the runner remembers the last status it
// reported (or was told is replicated) and calls on_status only when a
// probe's status differs (or, for TTL updates, the output changes), so a
// steady check costs no consensus traffic.
//
// Threading: loop thread only (the io_context given to the constructor).
// Callbacks run on the loop thread; none runs after destruction.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/status.h"
#include "node/registry/check_probes.h"

namespace synod::node::registry {

enum class CheckKind { kTtl, kHttp, kTcp, kScript };

struct CheckSpec {
  std::string check_id;
  std::string service_id;  // "" for node-level checks
  CheckKind kind = CheckKind::kTtl;
  HttpProbe http;                 // kHttp
  std::string tcp;                // kTcp: host:port
  std::vector<std::string> args;  // kScript
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds ttl{0};
  std::chrono::milliseconds deregister_after{0};  // 0: never
  bool operator==(const CheckSpec&) const = default;
};

class CheckRunner {
 public:
  struct Callbacks {
    // A check's status (or TTL output) changed: replicate it.
    std::function<void(const std::string& check_id, const std::string& status,
                       const std::string& output)>
        on_status;
    // `service_id` has had a check critical for DeregisterCriticalServiceAfter.
    std::function<void(const std::string& service_id, const std::string& check_id)> on_deregister;
  };

  CheckRunner(asio::io_context& io, bool enable_script, Callbacks callbacks);
  ~CheckRunner();
  CheckRunner(const CheckRunner&) = delete;
  CheckRunner& operator=(const CheckRunner&) = delete;

  // Starts (or restarts, if the spec changed) a check whose replicated
  // status is `status`. InvalidArgument for a script check when scripts are
  // disabled, or a missing Interval/TTL.
  Status add(CheckSpec spec, const std::string& status);
  void remove(const std::string& check_id);
  [[nodiscard]] bool has(const std::string& check_id) const;
  [[nodiscard]] std::vector<std::string> check_ids() const;

  // Tells the runner the replicated status of a check (e.g. after a manual
  // update elsewhere), so it reports only real changes.
  void set_known_status(const std::string& check_id, const std::string& status);

  // /v1/agent/check/pass|warn|fail|update: NotFound for an unknown check,
  // InvalidArgument for a non-TTL check.
  Status update_ttl(const std::string& check_id, const std::string& status,
                    const std::string& output);

 private:
  struct Running;
  void schedule_probe(const std::shared_ptr<Running>& check, std::chrono::milliseconds delay);
  void run_probe(const std::shared_ptr<Running>& check);
  void arm_ttl(const std::shared_ptr<Running>& check);
  void on_result(const std::shared_ptr<Running>& check, ProbeResult result, bool always_report);

  asio::io_context& io_;
  bool enable_script_;
  Callbacks callbacks_;
  std::map<std::string, std::shared_ptr<Running>> checks_;
  std::unique_ptr<ScriptRunner> scripts_;  // created on first script check
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Parses Consul durations in check definitions ("10s", "1m"; a bare number
// is nanoseconds, as Go's time.Duration in JSON).
Result<std::chrono::milliseconds> parse_check_duration(const std::string& text);

}  // namespace synod::node::registry
