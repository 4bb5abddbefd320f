// A client-side history of key-value operations, for checking afterwards that
// what the clients saw is linearizable (linearizability.h).
//
// Each operation is recorded twice: when the client invokes it and when the
// client learns its outcome. An operation whose outcome the client never
// learned (a timeout, a lost connection) is "unknown": it may or may not have
// taken effect, at any moment after its invocation. An operation that
// certainly did not take effect (rejected before it reached the log, e.g.
// "not leader") is dropped from the history.
//
// Used by tests/sim/ (virtual time, one thread) and by the node's
// failover-test (real clients); the recorder is thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace synod::consensus::history {

enum class OpKind : std::uint8_t { kPut, kGet, kCas, kDelete };

enum class OpStatus : std::uint8_t {
  kPending,  // invoked, no outcome yet (treated as unknown by the checker)
  kOk,       // completed; the result fields are valid
  kUnknown,  // the client gave up; it may or may not have taken effect
};

// One client operation on one key. A missing value (std::nullopt) means "the
// key does not exist".
struct Operation {
  std::uint64_t id = 0;
  std::uint64_t client = 0;
  OpKind kind = OpKind::kGet;
  std::string key;
  std::optional<std::string> value;     // put / cas: the value written
  std::optional<std::string> expected;  // cas: the value required beforehand
  OpStatus status = OpStatus::kPending;
  std::optional<std::string> read;  // get: the value observed
  bool cas_applied = false;         // cas: whether the swap happened
  // Positions in one total order of events (real or virtual time, or a
  // counter); invoked_at < completed_at. completed_at is ignored unless the
  // status is kOk.
  std::uint64_t invoked_at = 0;
  std::uint64_t completed_at = 0;

  // "c3 cas(k1, a->b) = applied [12,19]".
  [[nodiscard]] std::string to_string() const;
};

// Records invocations and completions. Event positions come from an internal
// counter, so the recorded order is the order of the calls.
class HistoryRecorder {
 public:
  // Each returns the id of the new operation.
  std::uint64_t invoke_put(std::uint64_t client, std::string key, std::string value);
  std::uint64_t invoke_get(std::uint64_t client, std::string key);
  std::uint64_t invoke_cas(std::uint64_t client, std::string key,
                           std::optional<std::string> expected, std::string value);
  std::uint64_t invoke_delete(std::uint64_t client, std::string key);

  // A put or delete was acknowledged.
  void complete_ok(std::uint64_t id);
  // A get returned `read` (nullopt: key absent).
  void complete_get(std::uint64_t id, std::optional<std::string> read);
  // A cas returned; `applied` says whether the swap happened.
  void complete_cas(std::uint64_t id, bool applied);
  // The operation certainly did not take effect: it is removed.
  void complete_failed(std::uint64_t id);
  // The client does not know whether the operation took effect.
  void complete_unknown(std::uint64_t id);

  // A copy of the history (without failed operations), in invocation order.
  [[nodiscard]] std::vector<Operation> operations() const;
  [[nodiscard]] std::size_t size() const;

 private:
  std::uint64_t invoke(Operation op);
  Operation* find(std::uint64_t id);

  mutable std::mutex mutex_;
  std::vector<Operation> ops_;  // guarded by mutex_; ids are 1 + position
  std::vector<bool> failed_;    // guarded by mutex_
  std::uint64_t clock_ = 0;     // guarded by mutex_
};

}  // namespace synod::consensus::history
