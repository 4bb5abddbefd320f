// SessionChecker: how the KV table asks "is session S valid?" before a lock
// acquire (Consul refuses ?acquire= with an unknown or invalidated session).
//
// The answer must come from replicated state only (the session table of
// issue 6), never from a clock or local knowledge, or replicas diverge.
// Called on the apply path; must not block.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace synod::consensus::state {

class SessionChecker {
 public:
  virtual ~SessionChecker() = default;
  // True if `session` exists and is not invalidated at this point of the log.
  [[nodiscard]] virtual bool is_valid(std::string_view session) const = 0;
};

// Until the session table exists (issue 6): every non-empty id is valid.
class AnySessionValid final : public SessionChecker {
 public:
  [[nodiscard]] bool is_valid(std::string_view session) const override { return !session.empty(); }
};

// A fixed set of valid sessions, for tests and tools.
class SessionSet final : public SessionChecker {
 public:
  void add(std::string session) { sessions_.insert(std::move(session)); }
  void remove(std::string_view session) {
    auto it = sessions_.find(session);
    if (it != sessions_.end()) sessions_.erase(it);
  }
  [[nodiscard]] bool is_valid(std::string_view session) const override {
    return sessions_.find(session) != sessions_.end();
  }

 private:
  std::set<std::string, std::less<>> sessions_;
};

}  // namespace synod::consensus::state
