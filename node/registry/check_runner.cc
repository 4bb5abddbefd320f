#include "node/registry/check_runner.h"

#include "node/http/query.h"

namespace synod::node::registry {

struct CheckRunner::Running {
  Running(asio::io_context& io, CheckSpec s) : spec(std::move(s)), timer(io), reaper(io) {}
  CheckSpec spec;
  std::string status;  // the last status reported or known replicated
  std::string output;
  asio::steady_timer timer;   // next probe, or TTL expiry
  asio::steady_timer reaper;  // DeregisterCriticalServiceAfter
  bool removed = false;
  std::uint64_t generation = 0;  // bumps when a probe result must be ignored
};

CheckRunner::CheckRunner(asio::io_context& io, bool enable_script, Callbacks callbacks)
    : io_(io), enable_script_(enable_script), callbacks_(std::move(callbacks)) {}

CheckRunner::~CheckRunner() {
  *alive_ = false;
  for (auto& [id, check] : checks_) {
    check->removed = true;
    check->timer.cancel();
    check->reaper.cancel();
  }
  scripts_.reset();
}

Status CheckRunner::add(CheckSpec spec, const std::string& status) {
  if (spec.kind == CheckKind::kScript && !enable_script_) {
    return invalid_argument(
        "Scripts are disabled on this agent; to enable, configure 'checks.enable_script: true'");
  }
  if (spec.kind == CheckKind::kTtl && spec.ttl.count() <= 0) {
    return invalid_argument("TTL must be > 0 for TTL checks");
  }
  if (spec.kind != CheckKind::kTtl && spec.interval.count() <= 0) {
    return invalid_argument("Interval must be > 0 for Script, HTTP, or TCP checks");
  }
  if (spec.timeout.count() <= 0) spec.timeout = std::chrono::seconds(10);
  if (auto it = checks_.find(spec.check_id); it != checks_.end()) {
    if (it->second->spec == spec) {
      set_known_status(spec.check_id, status);
      return Status::ok();
    }
    remove(spec.check_id);
  }
  auto check = std::make_shared<Running>(io_, std::move(spec));
  check->status = status.empty() ? "critical" : status;
  checks_[check->spec.check_id] = check;
  if (check->spec.kind == CheckKind::kTtl) {
    arm_ttl(check);
  } else {
    schedule_probe(check, std::chrono::milliseconds(0));
  }
  set_known_status(check->spec.check_id, check->status);  // arms the reaper if critical
  return Status::ok();
}

void CheckRunner::remove(const std::string& check_id) {
  auto it = checks_.find(check_id);
  if (it == checks_.end()) return;
  it->second->removed = true;
  it->second->timer.cancel();
  it->second->reaper.cancel();
  checks_.erase(it);
}

bool CheckRunner::has(const std::string& check_id) const { return checks_.count(check_id) > 0; }

std::vector<std::string> CheckRunner::check_ids() const {
  std::vector<std::string> out;
  for (const auto& [id, check] : checks_) out.push_back(id);
  return out;
}

void CheckRunner::set_known_status(const std::string& check_id, const std::string& status) {
  auto it = checks_.find(check_id);
  if (it == checks_.end() || status.empty()) return;
  auto& check = it->second;
  const bool was_critical_armed = check->status == "critical";
  check->status = status;
  if (status != "critical") {
    check->reaper.cancel();
    return;
  }
  if (check->spec.deregister_after.count() <= 0 || check->spec.service_id.empty()) return;
  if (was_critical_armed && check->reaper.expiry() > std::chrono::steady_clock::now()) return;
  check->reaper.expires_after(check->spec.deregister_after);
  check->reaper.async_wait(
      [this, alive = alive_, weak = std::weak_ptr<Running>(check)](error_code ec) {
        auto check = weak.lock();
        if (ec || !*alive || !check || check->removed || check->status != "critical") return;
        if (callbacks_.on_deregister)
          callbacks_.on_deregister(check->spec.service_id, check->spec.check_id);
      });
}

Status CheckRunner::update_ttl(const std::string& check_id, const std::string& status,
                               const std::string& output) {
  auto it = checks_.find(check_id);
  if (it == checks_.end()) {
    return not_found("Unknown check ID \"" + check_id +
                     "\". Ensure that the check ID is passed, not the check name.");
  }
  auto check = it->second;
  if (check->spec.kind != CheckKind::kTtl) {
    return invalid_argument("check \"" + check_id + "\" is not a TTL check");
  }
  arm_ttl(check);
  on_result(check, ProbeResult{status, truncate_output(output)}, /*always_report=*/false);
  return Status::ok();
}

void CheckRunner::arm_ttl(const std::shared_ptr<Running>& check) {
  check->timer.expires_after(check->spec.ttl);
  check->timer.async_wait(
      [this, alive = alive_, weak = std::weak_ptr<Running>(check)](error_code ec) {
        auto check = weak.lock();
        if (ec || !*alive || !check || check->removed) return;
        on_result(check, ProbeResult{"critical", "TTL expired"}, false);
      });
}

void CheckRunner::schedule_probe(const std::shared_ptr<Running>& check,
                                 std::chrono::milliseconds delay) {
  check->timer.expires_after(delay);
  check->timer.async_wait(
      [this, alive = alive_, weak = std::weak_ptr<Running>(check)](error_code ec) {
        auto check = weak.lock();
        if (ec || !*alive || !check || check->removed) return;
        run_probe(check);
      });
}

void CheckRunner::run_probe(const std::shared_ptr<Running>& check) {
  const std::uint64_t generation = ++check->generation;
  auto done = [this, alive = alive_, weak = std::weak_ptr<Running>(check),
               generation](ProbeResult result) {
    auto check = weak.lock();
    if (!*alive || !check || check->removed || check->generation != generation) return;
    on_result(check, std::move(result), false);
    schedule_probe(check, check->spec.interval);
  };
  const auto& spec = check->spec;
  switch (spec.kind) {
    case CheckKind::kHttp:
      run_http_probe(io_, spec.http, spec.timeout, std::move(done));
      break;
    case CheckKind::kTcp:
      run_tcp_probe(io_, spec.tcp, spec.timeout, std::move(done));
      break;
    case CheckKind::kScript:
      if (!scripts_) scripts_ = std::make_unique<ScriptRunner>(io_, 2);
      scripts_->run(spec.args, spec.timeout, std::move(done));
      break;
    case CheckKind::kTtl:
      break;
  }
}

void CheckRunner::on_result(const std::shared_ptr<Running>& check, ProbeResult result,
                            bool always_report) {
  const bool changed = result.status != check->status;
  const bool ttl_output_changed =
      check->spec.kind == CheckKind::kTtl && result.output != check->output;
  check->output = result.output;
  if (!changed && !ttl_output_changed && !always_report) return;
  set_known_status(check->spec.check_id, result.status);
  if (callbacks_.on_status)
    callbacks_.on_status(check->spec.check_id, result.status, result.output);
}

Result<std::chrono::milliseconds> parse_check_duration(const std::string& text) {
  if (text.empty()) return std::chrono::milliseconds(0);
  bool digits_only = true;
  for (char c : text) digits_only = digits_only && c >= '0' && c <= '9';
  if (digits_only) {
    SYNOD_ASSIGN_OR_RETURN(std::uint64_t ns, http::parse_u64(text));
    return std::chrono::milliseconds(ns / 1000000);
  }
  SYNOD_ASSIGN_OR_RETURN(auto duration, http::parse_go_duration(text));
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration);
}

}  // namespace synod::node::registry
