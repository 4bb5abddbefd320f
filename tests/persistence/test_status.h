// Assertions on Status and Result for persistence tests.
#pragma once

#include <gtest/gtest.h>

#include "common/status.h"

namespace synod::persistence::testing {

inline Status status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}

}  // namespace synod::persistence::testing

#define ASSERT_OK(expr)                                                                  \
  do {                                                                                   \
    auto&& synod_s_ = (expr);                                                            \
    ASSERT_TRUE(synod_s_.is_ok()) << ::synod::persistence::testing::status_of(synod_s_); \
  } while (0)
#define EXPECT_CODE(expr, expected_code) \
  EXPECT_EQ(::synod::persistence::testing::status_of(expr).code(), expected_code)
