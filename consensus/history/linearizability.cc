#include "consensus/history/linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <unordered_set>

namespace synod::consensus::history {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Register states are interned: 0 is "absent", n > 0 is the n-th distinct value.
class StateTable {
 public:
  int id_of(const std::optional<std::string>& value) {
    if (!value) return 0;
    auto [it, inserted] = ids_.emplace(*value, static_cast<int>(ids_.size()) + 1);
    return it->second;
  }

 private:
  std::map<std::string, int> ids_;
};

// An operation reduced to what the model step needs, with interned values.
struct ModelOp {
  OpKind kind;
  bool known;    // the outcome is known (status kOk)
  int value;     // put/cas: the state written
  int expected;  // cas: the state required
  int read;      // get: the state observed
  bool applied;  // cas: the swap happened
};

// The register's sequential specification. Returns the state after `op` in
// `state`, or -1 if `op` cannot produce its recorded result from `state`.
int step(const ModelOp& op, int state) {
  switch (op.kind) {
    case OpKind::kPut:
      return op.value;
    case OpKind::kDelete:
      return 0;
    case OpKind::kGet:
      return op.read == state ? state : -1;
    case OpKind::kCas:
      if (!op.known) return state == op.expected ? op.value : state;
      if (op.applied) return state == op.expected ? op.value : -1;
      return state != op.expected ? state : -1;
  }
  return -1;
}

// One call or return event in the doubly linked event list.
struct Event {
  bool is_call;
  int op;     // index into the key's operations
  int match;  // call: index of its return event; return: of its call
  int prev;
  int next;
};

struct Bitset {
  std::vector<std::uint64_t> words;
  void set(int i) { words[i / 64] |= (1ULL << (i % 64)); }
  void clear(int i) { words[i / 64] &= ~(1ULL << (i % 64)); }
  std::size_t count() const {
    std::size_t n = 0;
    for (auto w : words) n += static_cast<std::size_t>(__builtin_popcountll(w));
    return n;
  }
};

struct Configuration {
  std::vector<std::uint64_t> linearized;
  int state;
  bool operator==(const Configuration&) const = default;
};

struct ConfigurationHash {
  std::size_t operator()(const Configuration& c) const {
    std::uint64_t h = 1469598103934665603ULL ^ static_cast<std::uint64_t>(c.state);
    for (auto w : c.linearized) h = (h ^ w) * 1099511628211ULL;
    return static_cast<std::size_t>(h);
  }
};

struct KeyVerdict {
  Verdict verdict;
  std::uint64_t steps;
  std::vector<int> best_prefix;  // op indexes of the longest linearization found
};

// Wing & Gong / Lowe search over one key's operations.
KeyVerdict check_key(const std::vector<const Operation*>& ops, const CheckOptions& options) {
  StateTable states;
  std::vector<ModelOp> model;
  model.reserve(ops.size());
  for (const Operation* op : ops) {
    ModelOp m{};
    m.kind = op->kind;
    m.known = op->status == OpStatus::kOk;
    m.value = states.id_of(op->value);
    m.expected = states.id_of(op->expected);
    m.read = states.id_of(op->read);
    m.applied = op->cas_applied;
    model.push_back(m);
  }

  // Build the event list sorted by time; calls sort before returns at equal
  // times (treating touching operations as concurrent is the lenient choice).
  struct Timed {
    std::uint64_t time;
    bool is_return;
    int op;
  };
  std::vector<Timed> timed;
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    timed.push_back({ops[i]->invoked_at, false, i});
    const bool known = ops[i]->status == OpStatus::kOk;
    timed.push_back({known ? ops[i]->completed_at : kNever, true, i});
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.is_return < b.is_return;
  });
  // Event 0 is the list head sentinel; events 1..2n follow.
  std::vector<Event> events(timed.size() + 1);
  std::vector<int> call_of(ops.size()), return_of(ops.size());
  events[0] = Event{false, -1, -1, -1, timed.empty() ? -1 : 1};
  for (int i = 0; i < static_cast<int>(timed.size()); ++i) {
    const int e = i + 1;
    events[e] = Event{!timed[i].is_return, timed[i].op, -1, e - 1,
                      e + 1 <= static_cast<int>(timed.size()) ? e + 1 : -1};
    (timed[i].is_return ? return_of : call_of)[timed[i].op] = e;
  }
  for (std::size_t op = 0; op < ops.size(); ++op) {
    events[call_of[op]].match = return_of[op];
    events[return_of[op]].match = call_of[op];
  }
  auto unlink = [&](int e) {
    events[events[e].prev].next = events[e].next;
    if (events[e].next != -1) events[events[e].next].prev = events[e].prev;
  };
  auto relink = [&](int e) {
    events[events[e].prev].next = e;
    if (events[e].next != -1) events[events[e].next].prev = e;
  };
  // Lifting a call removes it and its return from the list; unlifting restores
  // both (in reverse order, so the neighbours' links are still right).
  auto lift = [&](int call) {
    unlink(call);
    unlink(events[call].match);
  };
  auto unlift = [&](int call) {
    relink(events[call].match);
    relink(call);
  };

  Bitset linearized{std::vector<std::uint64_t>((ops.size() + 63) / 64, 0)};
  std::unordered_set<Configuration, ConfigurationHash> seen;
  struct Frame {
    int call;
    int state_before;
  };
  std::vector<Frame> stack;
  KeyVerdict result{Verdict::kLinearizable, 0, {}};
  int state = 0;
  int entry = events[0].next;
  while (events[0].next != -1) {
    if (result.steps >= options.max_steps_per_key) {
      result.verdict = Verdict::kInconclusive;
      return result;
    }
    if (events[entry].is_call) {
      ++result.steps;
      const int op = events[entry].op;
      const int next_state = step(model[op], state);
      bool advanced = false;
      if (next_state >= 0) {
        linearized.set(op);
        if (seen.insert(Configuration{linearized.words, next_state}).second) {
          stack.push_back({entry, state});
          state = next_state;
          lift(entry);
          entry = events[0].next;
          advanced = true;
          if (stack.size() > result.best_prefix.size()) {
            result.best_prefix.clear();
            for (const Frame& f : stack) result.best_prefix.push_back(events[f.call].op);
          }
        } else {
          linearized.clear(op);
        }
      }
      if (!advanced) entry = events[entry].next;
    } else {
      // A return whose call is still pending: the current prefix cannot be
      // extended past it. Undo the most recent linearization.
      if (stack.empty()) {
        result.verdict = Verdict::kNotLinearizable;
        return result;
      }
      const Frame top = stack.back();
      stack.pop_back();
      state = top.state_before;
      linearized.clear(events[top.call].op);
      unlift(top.call);
      entry = events[top.call].next;
    }
  }
  return result;
}

std::string explain(const std::vector<const Operation*>& ops, const KeyVerdict& verdict) {
  constexpr std::size_t kMaxLines = 60;
  std::string out = "operations on this key (" + std::to_string(ops.size()) + "):\n";
  for (std::size_t i = 0; i < ops.size() && i < kMaxLines; ++i) {
    out += "  " + ops[i]->to_string() + "\n";
  }
  if (ops.size() > kMaxLines) out += "  ...\n";
  out += "longest linearizable prefix (" + std::to_string(verdict.best_prefix.size()) + " ops):\n";
  const std::size_t from =
      verdict.best_prefix.size() > kMaxLines ? verdict.best_prefix.size() - kMaxLines : 0;
  for (std::size_t i = from; i < verdict.best_prefix.size(); ++i) {
    out += "  " + ops[verdict.best_prefix[i]]->to_string() + "\n";
  }
  return out;
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "NOT linearizable";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "?";
}

CheckResult check_linearizable(const std::vector<Operation>& ops, const CheckOptions& options) {
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : ops) {
    // Gets without a result observed nothing and change nothing.
    if (op.kind == OpKind::kGet && op.status != OpStatus::kOk) continue;
    by_key[op.key].push_back(&op);
  }
  CheckResult result;
  for (const auto& [key, key_ops] : by_key) {
    KeyVerdict verdict = check_key(key_ops, options);
    result.steps += verdict.steps;
    if (verdict.verdict == Verdict::kNotLinearizable) {
      result.verdict = Verdict::kNotLinearizable;
      result.key = key;
      result.explanation = explain(key_ops, verdict);
      return result;
    }
    if (verdict.verdict == Verdict::kInconclusive && result.verdict == Verdict::kLinearizable) {
      result.verdict = Verdict::kInconclusive;
      result.key = key;
    }
  }
  return result;
}

}  // namespace synod::consensus::history
