// Hand-made histories for the key-value linearizability checker: ones that
// are linearizable (including tricky overlaps and unknown outcomes) and the
// classic anomalies it must reject.
#include "consensus/history/linearizability.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "consensus/history/history.h"

namespace synod::consensus::history {
namespace {

using Value = std::optional<std::string>;

// Builds operations with explicit [invoke, complete] intervals.
class Builder {
 public:
  Builder& put(std::string key, std::string value, std::uint64_t from, std::uint64_t to) {
    Operation op = base(OpKind::kPut, std::move(key), from, to);
    op.value = std::move(value);
    return add(std::move(op));
  }
  Builder& del(std::string key, std::uint64_t from, std::uint64_t to) {
    return add(base(OpKind::kDelete, std::move(key), from, to));
  }
  Builder& get(std::string key, Value read, std::uint64_t from, std::uint64_t to) {
    Operation op = base(OpKind::kGet, std::move(key), from, to);
    op.read = std::move(read);
    return add(std::move(op));
  }
  Builder& cas(std::string key, Value expected, std::string value, bool applied, std::uint64_t from,
               std::uint64_t to) {
    Operation op = base(OpKind::kCas, std::move(key), from, to);
    op.expected = std::move(expected);
    op.value = std::move(value);
    op.cas_applied = applied;
    return add(std::move(op));
  }
  // Marks the last operation as having an unknown outcome.
  Builder& unknown() {
    ops_.back().status = OpStatus::kUnknown;
    return *this;
  }
  Verdict check() const { return check_linearizable(ops_).verdict; }
  const std::vector<Operation>& ops() const { return ops_; }

 private:
  Operation base(OpKind kind, std::string key, std::uint64_t from, std::uint64_t to) {
    Operation op;
    op.id = ops_.size() + 1;
    op.client = op.id;
    op.kind = kind;
    op.key = std::move(key);
    op.status = OpStatus::kOk;
    op.invoked_at = from;
    op.completed_at = to;
    return op;
  }
  Builder& add(Operation op) {
    ops_.push_back(std::move(op));
    return *this;
  }
  std::vector<Operation> ops_;
};

TEST(Linearizability, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(check_linearizable({}).verdict, Verdict::kLinearizable);
}

TEST(Linearizability, SequentialPutGetIsLinearizable) {
  Builder b;
  b.get("k", std::nullopt, 1, 2).put("k", "a", 3, 4).get("k", "a", 5, 6).del("k", 7, 8);
  b.get("k", std::nullopt, 9, 10);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
}

TEST(Linearizability, StaleReadIsRejected) {
  Builder b;
  b.put("k", "1", 1, 2).put("k", "2", 3, 4).get("k", "1", 5, 6);
  const CheckResult result = check_linearizable(b.ops());
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "k");
  EXPECT_NE(result.explanation.find("get(k) = 1"), std::string::npos) << result.explanation;
}

TEST(Linearizability, LostWriteIsRejected) {
  Builder b;
  b.put("k", "1", 1, 2).get("k", std::nullopt, 3, 4);
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, ReadOfNeverWrittenValueIsRejected) {
  Builder b;
  b.put("k", "1", 1, 10).get("k", "7", 2, 3);
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, ReadConcurrentWithWriteMaySeeEitherValue) {
  Builder old_value;
  old_value.put("k", "1", 1, 2).put("k", "2", 3, 10).get("k", "1", 4, 5);
  EXPECT_EQ(old_value.check(), Verdict::kLinearizable);
  Builder new_value;
  new_value.put("k", "1", 1, 2).put("k", "2", 3, 10).get("k", "2", 4, 5);
  EXPECT_EQ(new_value.check(), Verdict::kLinearizable);
}

TEST(Linearizability, NewThenOldReadDuringOneWriteIsRejected) {
  // Once a read saw the new value, a later read must not see the old one,
  // even while the write is still in flight.
  Builder b;
  b.put("k", "1", 1, 2).put("k", "2", 3, 20).get("k", "2", 4, 5).get("k", "1", 6, 7);
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, ConcurrentWritesAnyOrderIsLinearizable) {
  Builder b;
  b.put("k", "a", 1, 10).put("k", "b", 2, 9).put("k", "c", 3, 8);
  b.get("k", "a", 11, 12).get("k", "a", 13, 14);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
}

TEST(Linearizability, ConcurrentWritesObservedInTwoOrdersAreRejected) {
  Builder b;
  b.put("k", "a", 1, 10).put("k", "b", 2, 9);
  b.get("k", "a", 11, 12).get("k", "b", 13, 14);
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, CasSucceedsOnlyFromExpectedValue) {
  Builder ok;
  ok.put("k", "1", 1, 2).cas("k", "1", "2", true, 3, 4).get("k", "2", 5, 6);
  ok.cas("k", "1", "3", false, 7, 8).cas("k", std::nullopt, "4", false, 9, 10);
  EXPECT_EQ(ok.check(), Verdict::kLinearizable);

  Builder wrong_success;
  wrong_success.put("k", "1", 1, 2).cas("k", "9", "2", true, 3, 4);
  EXPECT_EQ(wrong_success.check(), Verdict::kNotLinearizable);

  Builder wrong_failure;
  wrong_failure.put("k", "1", 1, 2).cas("k", "1", "2", false, 3, 4);
  EXPECT_EQ(wrong_failure.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, CasOnAbsentKeyCreatesIt) {
  Builder b;
  b.cas("k", std::nullopt, "1", true, 1, 2).get("k", "1", 3, 4);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
}

TEST(Linearizability, TwoConcurrentCasFromSameValueCannotBothSucceed) {
  Builder both;
  both.put("k", "0", 1, 2).cas("k", "0", "a", true, 3, 10).cas("k", "0", "b", true, 4, 9);
  EXPECT_EQ(both.check(), Verdict::kNotLinearizable);

  Builder one;
  one.put("k", "0", 1, 2).cas("k", "0", "a", true, 3, 10).cas("k", "0", "b", false, 4, 9);
  one.get("k", "a", 11, 12);
  EXPECT_EQ(one.check(), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteMayHaveHappenedLater) {
  Builder b;
  b.put("k", "1", 1, 2).put("k", "2", 3, 4).unknown();
  b.get("k", "1", 5, 6).get("k", "2", 7, 8);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteMayNeverHaveHappened) {
  Builder b;
  b.put("k", "1", 1, 2).put("k", "2", 3, 4).unknown().get("k", "1", 5, 6);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteCannotHappenTwice) {
  Builder b;
  b.put("k", "1", 1, 2).put("k", "2", 3, 4).unknown().put("k", "3", 5, 6);
  b.get("k", "2", 7, 8).get("k", "3", 9, 10).get("k", "2", 11, 12);
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownWriteCannotHappenBeforeItsInvocation) {
  Builder b;
  b.put("k", "1", 1, 2).get("k", "2", 3, 4).put("k", "2", 5, 6).unknown();
  EXPECT_EQ(b.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownCasAppliesOnlyIfItMatches) {
  Builder b;
  b.put("k", "0", 1, 2).cas("k", "0", "1", false, 3, 4).unknown().get("k", "1", 5, 6);
  EXPECT_EQ(b.check(), Verdict::kLinearizable);
  Builder mismatch;
  mismatch.put("k", "5", 1, 2).cas("k", "0", "1", false, 3, 4).unknown().get("k", "1", 5, 6);
  EXPECT_EQ(mismatch.check(), Verdict::kNotLinearizable);
}

TEST(Linearizability, KeysAreIndependent) {
  Builder b;
  b.put("a", "1", 1, 2).put("b", "1", 3, 4).get("a", "1", 5, 6).get("b", "1", 7, 8);
  b.put("b", "2", 9, 10).get("b", "1", 11, 12);
  const CheckResult result = check_linearizable(b.ops());
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.key, "b");
}

TEST(Linearizability, RecorderOrdersEventsByCallOrder) {
  HistoryRecorder h;
  const auto w = h.invoke_put(1, "k", "1");
  const auto r = h.invoke_get(2, "k");  // concurrent with the put
  h.complete_get(r, "1");
  h.complete_ok(w);
  const auto stale = h.invoke_get(3, "k");
  h.complete_get(stale, std::nullopt);
  EXPECT_EQ(check_linearizable(h.operations()).verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, RecorderDropsFailedAndKeepsUnknown) {
  HistoryRecorder h;
  const auto failed = h.invoke_put(1, "k", "x");
  h.complete_failed(failed);
  const auto lost = h.invoke_cas(1, "k", std::nullopt, "y");
  h.complete_unknown(lost);
  const auto pending = h.invoke_delete(2, "k");
  (void)pending;
  const auto read = h.invoke_get(3, "k");
  h.complete_get(read, "y");
  const auto ops = h.operations();
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(check_linearizable(ops).verdict, Verdict::kLinearizable);

  HistoryRecorder seen_failed;
  const auto f = seen_failed.invoke_put(1, "k", "x");
  seen_failed.complete_failed(f);
  const auto g = seen_failed.invoke_get(2, "k");
  seen_failed.complete_get(g, "x");
  EXPECT_EQ(check_linearizable(seen_failed.operations()).verdict, Verdict::kNotLinearizable);
}

// Many concurrent clients on a true atomic register: every history must pass,
// and changing one read to a value never written must fail.
TEST(Linearizability, RandomLinearizableHistoriesPassAndCorruptedOnesFail) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SeededRandom rng(seed);
    std::vector<Operation> ops;
    std::optional<std::string> reg;
    // Each op takes effect at an integer instant t; its interval is widened
    // randomly around t so operations overlap.
    for (std::uint64_t t = 0; t < 300; ++t) {
      Operation op;
      op.id = t + 1;
      op.client = rng.uniform(1, 6);
      op.key = "k" + std::to_string(rng.uniform(0, 1));
      if (op.key != "k0") continue;  // keep one contended key plus noise
      const std::uint64_t at = 10 * t + 100;
      op.invoked_at = at - rng.uniform(1, 60);
      op.completed_at = at + rng.uniform(1, 60);
      op.status = OpStatus::kOk;
      switch (rng.uniform(0, 3)) {
        case 0:
          op.kind = OpKind::kPut;
          op.value = std::to_string(t);
          reg = op.value;
          break;
        case 1:
          op.kind = OpKind::kGet;
          op.read = reg;
          break;
        case 2:
          op.kind = OpKind::kCas;
          op.expected = rng.chance(0.5) ? reg : std::optional<std::string>("nope");
          op.value = std::to_string(t);
          op.cas_applied = op.expected == reg;
          if (op.cas_applied) reg = op.value;
          break;
        default:
          op.kind = OpKind::kDelete;
          reg.reset();
          break;
      }
      if (rng.chance(0.05) && op.kind != OpKind::kGet) op.status = OpStatus::kUnknown;
      ops.push_back(op);
    }
    const CheckResult ok = check_linearizable(ops);
    ASSERT_EQ(ok.verdict, Verdict::kLinearizable) << "seed " << seed << "\n" << ok.explanation;
    for (Operation& op : ops) {
      if (op.kind == OpKind::kGet) {
        op.read = "never-written";
        break;
      }
    }
    EXPECT_EQ(check_linearizable(ops).verdict, Verdict::kNotLinearizable) << "seed " << seed;
  }
}

TEST(Linearizability, RunningOutOfBudgetIsInconclusive) {
  Builder b;
  for (std::uint64_t i = 0; i < 12; ++i) b.put("k", std::to_string(i), 1 + i, 100 + i);
  b.get("k", "none-of-them", 200, 201);
  CheckOptions options;
  options.max_steps_per_key = 50;
  EXPECT_EQ(check_linearizable(b.ops(), options).verdict, Verdict::kInconclusive);
}

}  // namespace
}  // namespace synod::consensus::history
