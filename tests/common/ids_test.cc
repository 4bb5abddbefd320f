#include "common/ids.h"

#include <gtest/gtest.h>

#include <type_traits>
#include <unordered_set>

namespace synod {
namespace {

static_assert(!std::is_convertible_v<Term, LogIndex>, "ids must not mix");
static_assert(!std::is_convertible_v<std::uint64_t, NodeId>, "no implicit construction");

TEST(IdsTest, CountersAdvanceAndCompare) {
  Term t{3};
  EXPECT_EQ(t.next(), Term{4});
  EXPECT_LT(t, t.next());
  LogIndex i{10};
  EXPECT_EQ((i + 5).value(), 15u);
  EXPECT_EQ(LogIndex{15} - i, 5u);
  EXPECT_EQ(LogIndex{0}.prev(), LogIndex{0});
}

TEST(IdsTest, HashableAndPrintable) {
  std::unordered_set<NodeId> ids{NodeId{1}, NodeId{2}, NodeId{1}};
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(NodeId{42}.to_string(), "42");
  EXPECT_EQ(kNoNode, NodeId{0});
}

}  // namespace
}  // namespace synod
