#include "discovery/suspicion.h"

#include <gtest/gtest.h>

namespace synod::discovery {
namespace {

using std::chrono::milliseconds;

TEST(LifeguardSuspicion, TimeoutShrinksWithIndependentConfirmations) {
  Suspicion s("a", 3, milliseconds(800), milliseconds(4800), MonoTime{});
  EXPECT_EQ(s.timeout(), milliseconds(4800));
  EXPECT_TRUE(s.confirm("b"));
  const Duration one = s.timeout();
  EXPECT_LT(one, milliseconds(4800));
  EXPECT_GT(one, milliseconds(800));
  EXPECT_TRUE(s.confirm("c"));
  EXPECT_LT(s.timeout(), one);
  EXPECT_TRUE(s.confirm("d"));
  EXPECT_EQ(s.timeout(), milliseconds(800));
  EXPECT_EQ(s.deadline(), MonoTime{} + milliseconds(800));
}

TEST(LifeguardSuspicion, RepeatedOrFirstSuspecterDoesNotCount) {
  Suspicion s("a", 3, milliseconds(800), milliseconds(4800), MonoTime{});
  EXPECT_FALSE(s.confirm("a"));
  EXPECT_TRUE(s.confirm("b"));
  EXPECT_FALSE(s.confirm("b"));
  EXPECT_EQ(s.confirmations(), 1u);
}

TEST(LifeguardSuspicion, NoExpectedConfirmationsMeansMinimum) {
  Suspicion s("a", 0, milliseconds(800), milliseconds(4800), MonoTime{});
  EXPECT_EQ(s.timeout(), milliseconds(800));
}

}  // namespace
}  // namespace synod::discovery
