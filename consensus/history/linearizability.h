// A linearizability checker for key-value histories (history.h).
//
// The model is one register per key (absent or holding a string) with put,
// get, compare-and-set and delete. Operations on different keys commute, so
// the history is split by key and each key is checked on its own
// (P-compositionality). Per key it runs the Wing & Gong search with Lowe's
// memoisation, as Porcupine does: walk the events in time order, try to
// linearize each pending call whose model step is legal, cache every
// (set of linearized operations, register state) already explored, and
// backtrack on a return event whose call was not linearized yet.
//
// Operations with an unknown outcome may have taken effect at any moment after
// their invocation, or never: their return is placed after every other event
// and any result is accepted. Unknown gets observe nothing and are dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/history/history.h"

namespace synod::consensus::history {

enum class Verdict : std::uint8_t {
  kLinearizable,
  kNotLinearizable,
  kInconclusive,  // the search budget ran out
};

struct CheckOptions {
  // Model steps tried per key before giving up with kInconclusive.
  std::uint64_t max_steps_per_key = 20'000'000;
};

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  // For a failure: the key, and a readable account (the key's operations and
  // the longest linearizable prefix the search found).
  std::string key;
  std::string explanation;
  std::uint64_t steps = 0;  // model steps tried, over all keys
};

[[nodiscard]] CheckResult check_linearizable(const std::vector<Operation>& ops,
                                             const CheckOptions& options = {});

[[nodiscard]] const char* verdict_name(Verdict verdict);

}  // namespace synod::consensus::history
