// SimKv: the simulator's replicated state machine. It wraps the core's
// TestKvStateMachine and adds a client-request tag to every command so that
// (a) a client can recognise its own command when it is applied, and (b) a
// command that reaches the log twice (a forwarded proposal duplicated by the
// network) takes effect once, as a real client session would guarantee
// (Raft dissertation §6.3). The tag table is part of the snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/state_machine.h"
#include "consensus/test_kv_state_machine.h"

namespace synod::consensus::sim {

// Entry data of a tagged command.
[[nodiscard]] std::string encode_tagged(std::uint64_t tag, const KvCommand& command);
// The tag of tagged entry data (0 if the bytes are not a tagged command).
[[nodiscard]] std::uint64_t tag_of(std::string_view data);

class SimKv final : public StateMachine {
 public:
  // Returns encode_kv_result() bytes; a repeated tag returns the first result
  // without executing again.
  std::string apply(const Entry& entry) override;
  [[nodiscard]] LogIndex applied_index() const override { return inner_.applied_index(); }
  [[nodiscard]] std::string snapshot() const override;
  Status restore(std::string_view data, LogIndex index) override;

  [[nodiscard]] std::optional<std::string> get(const std::string& key) const {
    return inner_.get(key);
  }

 private:
  TestKvStateMachine inner_;
  std::map<std::uint64_t, std::string> results_;  // tag -> result bytes
};

}  // namespace synod::consensus::sim
