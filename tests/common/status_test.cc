#include "common/status.h"

#include <gtest/gtest.h>

namespace synod {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("not positive: " + std::to_string(x));
  return x;
}

Result<int> doubled(int x) {
  SYNOD_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return v * 2;
}

Status check(int x) {
  SYNOD_RETURN_IF_ERROR(parse_positive(x).status());
  return Status::ok();
}

TEST(StatusTest, OkStatusPrintsOk) {
  EXPECT_TRUE(Status::ok().is_ok());
  EXPECT_EQ(Status::ok().to_string(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = not_found("key a/b");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.to_string(), "NotFound: key a/b");
  EXPECT_EQ(s.with_context("kv get").to_string(), "NotFound: kv get: key a/b");
}

TEST(ResultTest, ValueAndErrorPropagate) {
  EXPECT_EQ(*doubled(4), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.value_or(7), 7);
  EXPECT_TRUE(check(1).is_ok());
  EXPECT_EQ(check(0).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synod
